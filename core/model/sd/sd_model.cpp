#include "core/model/sd/sd_model.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <spdlog/spdlog.h>

#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "core/model/sd/motion_file.h"
#include "core/model/sd/sd_codec.h"
#include "core/model/sd/sd_denoiser.h"
#include "core/model/sd/sd_video_denoiser.h"

namespace ns::sd {

namespace fs = std::filesystem;

namespace {

// The checkout this file was compiled from: __FILE__ is <src>/core/model/sd/sd_model.cpp.
fs::path compiledSourceDir() {
  fs::path p(__FILE__);
  if (!p.is_absolute()) return {};
  return p.parent_path().parent_path().parent_path().parent_path();
}

uint64_t statusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(in, line))
    if (line.compare(0, key.size(), key) == 0) return std::strtoull(line.c_str() + key.size(), nullptr, 10);
  return 0;
}

std::string gib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GB", double(bytes) / 1e9);
  return buf;
}

// Once a part's weights are copied into its network, the stored tensors are never read again:
// drop their pages from this process (MADV_DONTNEED on whole pages inside each tensor's data). For
// the mapped file this unmaps the pages but leaves them in the page cache, so loading the same
// model again reads no disk; for tensors that own their memory it frees the pages. Keeps the load's
// peak at about the fp32 weights plus the largest part's file pages instead of the whole file on
// top. Only for tensors no one else views: the caller clears the map right after.
void releaseStoredPages(const WeightMap& w, const std::string& prefix) {
  const uintptr_t page = uintptr_t(::sysconf(_SC_PAGESIZE));
  for (auto it = w.lower_bound(prefix); it != w.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    const at::Tensor& t = it->second;
    if (!t.defined() || !t.device().is_cpu() || t.nbytes() < page) continue;
    const uintptr_t begin = (uintptr_t(t.data_ptr()) + page - 1) & ~(page - 1);
    const uintptr_t end = (uintptr_t(t.data_ptr()) + t.nbytes()) & ~(page - 1);
    if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
  }
}

uint64_t floatValues(const WeightMap& w) {
  uint64_t n = 0;
  for (const auto& [k, t] : w)
    if (t.is_floating_point()) n += uint64_t(t.numel());
  return n;
}

// sd.cpp's trick for SD 2.x files that do not say ε or v: at t = 999, x_t is almost pure noise, so
// an ε-model returns about x_t itself while a v-model returns about −x0, nearly uncorrelated with x_t.
PredictionType predictionByTestForward(SdUnet& unet) {
  c10::InferenceMode guard;
  at::Generator gen = at::detail::createCPUGenerator(1234);
  at::Tensor x = at::randn({1, unet.config().inChannels, 8, 8}, gen, at::TensorOptions().dtype(at::kFloat));
  at::Tensor ctx = at::zeros({1, 77, unet.config().contextDim});
  at::Tensor out = unet.forward(x, at::full({1}, 999, at::kLong), ctx);
  const double cos = (out * x).sum().item<double>() / (out.norm().item<double>() * x.norm().item<double>() + 1e-12);
  spdlog::info("SD 2.x prediction test forward: cos(out, x_t) = {:.3f}", cos);
  return cos > 0.5 ? PredictionType::Epsilon : PredictionType::VPrediction;
}

Result<SdCheckpoint> readCheckpoint(const std::string& path) {
  if (fs::is_directory(path)) return readSdDiffusersFolder(path);
  return readSdSingleFile(path);
}

}  // namespace

bool isSdModelPath(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return fs::is_regular_file(fs::path(path) / "model_index.json", ec);
  std::string ext = fs::path(path).extension().string();
  for (auto& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".safetensors" || ext == ".ckpt" || ext == ".pt" || ext == ".pth";
}

std::string findClipTokenizerDir() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("NS_CLIP_TOKENIZER_DIR"); env && *env) candidates.emplace_back(env);
  std::error_code ec;
  const char* home = std::getenv("HOME");
  if (home && *home) candidates.push_back(fs::path(home) / ".local/share/NoiseStudio/clip");
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path() / ".." / "share" / "noisestudio" / "clip");
  if (const char* src = std::getenv("NS_SOURCE_DIR"); src && *src) candidates.push_back(fs::path(src) / "resources" / "clip");
  if (fs::path src = compiledSourceDir(); !src.empty()) candidates.push_back(src / "resources" / "clip");
  // The same vocabulary as other tools on this machine already have it: the Hugging Face cache
  // (openai/clip-vit-large-patch14, as diffusers and InvokeAI download it) and ComfyUI's copy.
  if (home && *home) {
    const fs::path hf = fs::path(home) / ".cache/huggingface/hub/models--openai--clip-vit-large-patch14/snapshots";
    if (fs::is_directory(hf, ec))
      for (const auto& snap : fs::directory_iterator(hf, ec)) candidates.push_back(snap.path());
    candidates.push_back(fs::path(home) / "ComfyUI/comfy/sd1_tokenizer");
  }
  for (const auto& c : candidates)
    if (fs::is_regular_file(c / "vocab.json", ec) && fs::is_regular_file(c / "merges.txt", ec)) return c.string();
  return {};
}

namespace {
// What is wrong with a checkpoint's content is bad input (CLI exit 2), whichever layer noticed it.
Error badFile(Error e) {
  if (e.kind == ErrorKind::Model) e.kind = ErrorKind::BadInput;
  return e;
}
}  // namespace

Result<SdModel> loadSdModel(const std::string& path, const SdLoadOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  auto last = t0;
  auto step = [&o, &last](const char* part, int done) {
    const auto now = std::chrono::steady_clock::now();
    if (done > 0) spdlog::info("loading: part {} of 5 done after {:.2f} s", done, std::chrono::duration<double>(now - last).count());
    last = now;
    if (o.progress) o.progress(part, done, 5);
  };
  step("reading", 0);
  auto ck = readCheckpoint(path);
  if (!ck.ok()) return badFile(ck.error());
  SdCheckpoint& c = *ck;
  SdModel m;
  SdModelReport& r = m.report;
  r.source = path;
  r.layout = c.layout;
  r.family = toString(c.family);
  r.storageDtypes = c.storageDtypes;
  r.fileBytes = c.fileBytes;

  // Configurations from names and shapes only: nothing big allocated yet.
  HeadSplit heads = c.unetHeads;
  if (o.unetHeads.heads > 0 || o.unetHeads.headDim > 0 || !o.unetHeads.headsPerLevel.empty()) heads = o.unetHeads;
  auto unetCfg = inferUnetConfig(c.weights, kUnetPrefix, heads, path);
  if (!unetCfg.ok()) return badFile(unetCfg.error());
  auto vaeCfg = inferVaeConfig(c.weights, kVaePrefix, path);
  if (!vaeCfg.ok()) return badFile(vaeCfg.error());
  if (c.text.empty())
    return makeError(ErrorKind::BadInput, path + ": the checkpoint has no text encoder (cond_stage_model.* / text_encoder/)");
  const int64_t textHeads = o.textHeads > 0 ? o.textHeads : c.textHeads;
  auto textCfg = inferClipTextConfig(c.text, path, textHeads > 0 ? std::optional<int64_t>(textHeads) : std::nullopt);
  if (!textCfg.ok()) return badFile(textCfg.error());
  textCfg->activation = c.textActivation;
  textCfg->skipLastLayers = c.textSkipLastLayers;
  if (textCfg->width != unetCfg->contextDim)
    return makeError(ErrorKind::BadInput, path + ": the text encoder is " + std::to_string(textCfg->width) +
                                           " wide but the UNet's cross-attention takes " + std::to_string(unetCfg->contextDim));

  // The motion module's layout and fit with this UNet, before anything big is allocated.
  std::optional<MotionModuleFile> motionFile;
  if (!o.motionModule.empty()) {
    auto mf = readMotionModuleFile(o.motionModule, o.motionHeads);
    if (!mf.ok()) return badFile(mf.error());
    auto fits = checkMotionFitsUnet(mf->config, *unetCfg, o.motionModule, path);
    if (!fits.ok()) return fits.error();
    motionFile = std::move(*mf);
  }

  r.estimatedBytes = (floatValues(c.weights) + floatValues(c.text) + (motionFile ? floatValues(motionFile->weights) : 0)) * 4;
  if (o.availableBytes > 0 && r.estimatedBytes > o.availableBytes)
    return makeError(ErrorKind::Model, path + ": the model needs about " + gib(r.estimatedBytes) +
                                           " in fp32 but only " + gib(o.availableBytes) + " is available");

  step("unet", 1);
  auto unet = SdUnet::create(*unetCfg, c.weights, kUnetPrefix, path);
  if (!unet.ok()) return badFile(unet.error());
  releaseStoredPages(c.weights, kUnetPrefix);
  if (motionFile) {
    auto motion = MotionModules::create(motionFile->config, motionFile->weights, o.motionModule);
    if (!motion.ok()) return badFile(motion.error());
    m.motion = *motion;
    r.motionSource = o.motionModule;
    r.motionNaming = motionFile->config.naming;
    r.motionModules = int(motionFile->config.modules.size());
    r.motionMaxFrames = motionFile->config.maxFrames;
    r.motionMidBlock = motionFile->config.midBlock;
    r.motionParameters = m.motion->parameterCount();
    motionFile.reset();
  }
  step("vae", 2);
  auto vae = SdVae::create(*vaeCfg, c.weights, kVaePrefix, path);
  if (!vae.ok()) return badFile(vae.error());
  releaseStoredPages(c.weights, kVaePrefix);
  step("text", 3);
  auto text = ClipTextModel::fromWeights(c.text, *textCfg, path);
  if (!text.ok()) return badFile(text.error());
  step("tokenizer", 4);
  m.unet = *unet;
  m.vae = *vae;
  m.text = *text;
  c.weights.clear();  // drop the mapped views: the networks own fp32 copies now
  c.text.clear();

  PredictionType pred = c.prediction;
  r.predictionSource = c.family == SdFamily::Sd1 && pred == PredictionType::Epsilon ? "family" : "file";
  if (o.prediction != PredictionType::Invalid) {
    pred = o.prediction;
    r.predictionSource = "option";
  } else if (pred == PredictionType::Invalid) {
    pred = predictionByTestForward(*m.unet);
    r.predictionSource = "test forward";
  }

  DenoiserInfo& info = m.info;
  info.id = toString(c.family) + ":" + fs::path(path).filename().string();
  info.channels = unetCfg->inChannels;
  r.defaultImageSize = c.family == SdFamily::Sd2 && pred == PredictionType::VPrediction ? 768 : 512;
  info.sampleSize = r.defaultImageSize / vaeCfg->downscale();
  info.sizeMultiple = 1;  // Upsample follows the skip sizes: any multiple of the VAE's 8 px
  info.isVideo = m.motion != nullptr;
  if (m.motion) info.id += "+" + fs::path(o.motionModule).filename().string();
  info.prediction = pred;
  info.schedule = c.schedule;
  r.prediction = toString(pred);
  r.latentChannels = vaeCfg->embedDim;
  r.latentScale = c.latentScale;
  r.unetParameters = m.unet->parameterCount();
  r.vaeParameters = m.vae->parameterCount();
  r.textParameters = m.text->parameterCount();

  std::string tokDir = o.tokenizerDir;
  std::string vocab = c.vocabJson, merges = c.mergesTxt;
  if (!tokDir.empty() || vocab.empty()) {
    if (tokDir.empty()) tokDir = findClipTokenizerDir();
    if (!tokDir.empty()) {
      vocab = (fs::path(tokDir) / "vocab.json").string();
      merges = (fs::path(tokDir) / "merges.txt").string();
    }
  }
  if (vocab.empty()) {
    r.tokenizer = "none: a single file carries no CLIP vocabulary; put vocab.json and merges.txt in "
                  "~/.local/share/NoiseStudio/clip or $NS_CLIP_TOKENIZER_DIR";
  } else {
    auto tok = ClipTokenizer::fromFiles(vocab, merges);
    if (!tok.ok()) return tok.error();
    if (tok->vocabSize() > size_t(textCfg->vocabSize))
      return makeError(ErrorKind::Model, vocab + ": the vocabulary has " + std::to_string(tok->vocabSize()) +
                                             " tokens but the text encoder of " + path + " embeds only " +
                                             std::to_string(textCfg->vocabSize));
    m.conditioner = std::make_shared<SdTextConditioner>(
        std::move(*tok), m.text, c.padWithZero ? PadPolicy::Zero : PadPolicy::EndToken);
    r.tokenizer = vocab;
  }

  if (o.device != "cpu") {
    m.unet->to(o.device, at::kFloat);
    m.vae->to(o.device, at::kFloat);
    if (m.motion) m.motion->to(o.device, at::kFloat);
  }
  step("done", 5);
  r.loadSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.residentBytes = statusKb("VmRSS") * 1024;
  r.peakResidentBytes = statusKb("VmHWM") * 1024;
  spdlog::info("loaded {} ({} {}, {}) in {:.1f} s; resident {}", path, r.family, r.layout, r.prediction, r.loadSeconds,
               gib(r.residentBytes));
  return m;
}

Result<ModelBundle> toModelBundle(const SdModel& m) {
  if (!m.conditioner)
    return makeError(ErrorKind::Model, m.report.source + ": no prompt encoder: " + m.report.tokenizer);
  ModelBundle b;
  if (m.motion) b.denoiser = std::make_shared<SdVideoDenoiser>(m.unet, m.motion, m.info);
  else b.denoiser = std::make_shared<SdDenoiser>(m.unet, m.info);
  b.codec = std::make_shared<SdCodec>(m.vae, m.report.latentScale);
  b.text = m.conditioner;
  b.sourcePath = m.report.source;
  return b;
}

}  // namespace ns::sd
