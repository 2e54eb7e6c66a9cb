// Video decode/encode speed through core/media/video_io.h (readVideo: decode + BGR→RGB + float
// [-1,1] tensor; writeVideo: tensor → 8-bit BGR + encode + atomic rename), against a raw OpenCV
// loop on the same clip in the same run (cv::VideoCapture::read into a reused cv::Mat;
// cv::VideoWriter::write of ready-made BGR frames): the ratio is what NoiseStudio's conversions
// and checks cost over the codec itself. Clip: 48 frames of a moving gradient, mp4v (.mp4, what
// the CLI writes by default), at 256² and 512². Counter `fps` = frames per second (wall).
#include <ATen/ATen.h>
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <string>

#include "core/media/video_io.h"

namespace {

namespace fs = std::filesystem;
constexpr int kFrames = 48;
constexpr double kFps = 24.0;

fs::path scratchDir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("ns_bench_video_" + std::to_string(getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// [F,3,S,S] float in [-1,1]: a diagonal gradient that moves 2 px per frame (codecs see motion).
at::Tensor clipTensor(int size) {
  at::Tensor ramp = at::arange(size, at::kFloat);
  at::Tensor xy = ramp.view({1, size}) + ramp.view({size, 1});  // [S,S]
  at::Tensor shift = (at::arange(kFrames, at::kFloat) * 2).view({kFrames, 1, 1});
  at::Tensor base = at::remainder(xy.unsqueeze(0) + shift, 64.f) / 32.f - 1.f;  // [F,S,S]
  return at::stack({base, base.flip(2), -base}, 1).contiguous();
}

std::vector<cv::Mat> bgrFrames(const at::Tensor& clip) {
  at::Tensor u8 = ((clip.clamp(-1, 1) + 1) * 127.5f).round().to(at::kByte).permute({0, 2, 3, 1}).contiguous();
  std::vector<cv::Mat> out;
  for (int64_t f = 0; f < u8.size(0); ++f) {
    cv::Mat rgb(int(u8.size(1)), int(u8.size(2)), CV_8UC3, u8[f].data_ptr<uint8_t>()), bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    out.push_back(bgr);
  }
  return out;
}

// The clip on disk, written once per size by the raw writer.
std::string sourceClip(int size) {
  const fs::path path = scratchDir() / ("src_" + std::to_string(size) + ".mp4");
  if (!fs::exists(path)) {
    cv::VideoWriter w(path.string(), cv::CAP_FFMPEG, cv::VideoWriter::fourcc('m', 'p', '4', 'v'), kFps,
                      cv::Size(size, size));
    for (const cv::Mat& m : bgrFrames(clipTensor(size))) w.write(m);
  }
  return path.string();
}

void fps(benchmark::State& state, int size) {
  state.counters["fps"] = benchmark::Counter(double(state.iterations()) * kFrames, benchmark::Counter::kIsRate);
  state.SetLabel(std::to_string(kFrames) + " frames " + std::to_string(size) + "x" + std::to_string(size) + " mp4v");
}

void BM_DecodeNoiseStudio(benchmark::State& state) {
  const int size = int(state.range(0));
  const std::string path = sourceClip(size);
  for (auto _ : state) {
    auto clip = ns::media::readVideo(path);
    if (!clip.ok()) {
      state.SkipWithError(clip.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(clip->frames.data_ptr<float>());
  }
  fps(state, size);
}

void BM_DecodeOpenCvBaseline(benchmark::State& state) {
  const int size = int(state.range(0));
  const std::string path = sourceClip(size);
  cv::Mat frame;
  for (auto _ : state) {
    cv::VideoCapture cap(path, cv::CAP_FFMPEG);
    int n = 0;
    while (cap.read(frame)) ++n;
    if (n != kFrames) {
      state.SkipWithError("raw decode returned the wrong frame count");
      break;
    }
    benchmark::DoNotOptimize(frame.data);
  }
  fps(state, size);
}

void BM_EncodeNoiseStudio(benchmark::State& state) {
  const int size = int(state.range(0));
  const at::Tensor clip = clipTensor(size);
  const std::string path = (scratchDir() / ("ns_out_" + std::to_string(size) + ".mp4")).string();
  for (auto _ : state) {
    auto r = ns::media::writeVideo(path, clip, kFps);
    if (!r.ok()) {
      state.SkipWithError(r.error().message.c_str());
      break;
    }
  }
  fps(state, size);
}

void BM_EncodeOpenCvBaseline(benchmark::State& state) {
  const int size = int(state.range(0));
  const std::vector<cv::Mat> frames = bgrFrames(clipTensor(size));
  const std::string path = (scratchDir() / ("cv_out_" + std::to_string(size) + ".mp4")).string();
  for (auto _ : state) {
    cv::VideoWriter w(path, cv::CAP_FFMPEG, cv::VideoWriter::fourcc('m', 'p', '4', 'v'), kFps, cv::Size(size, size));
    for (const cv::Mat& m : frames) w.write(m);
    w.release();
  }
  fps(state, size);
}

BENCHMARK(BM_DecodeNoiseStudio)->Arg(256)->Arg(512)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeOpenCvBaseline)->Arg(256)->Arg(512)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeNoiseStudio)->Arg(256)->Arg(512)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeOpenCvBaseline)->Arg(256)->Arg(512)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ec;
  fs::remove_all(scratchDir(), ec);
  return 0;
}
