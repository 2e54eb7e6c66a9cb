// noisestudio-cli: batch and headless work on the same engine as the GUI.
#include <iostream>

#include "app/cli/commands.h"
#include "core/util/log.h"
#ifndef NS_CLI_CORE_ONLY
#include "core/media/image_header.h"
#endif

int main(int argc, char** argv) {
  using namespace ns::cli;
  CLI::App app{"NoiseStudio command line: generate, invert, edit, warp and render through diffusion noise"};
  app.set_version_flag("--version", std::string("noisestudio-cli ") + NS_VERSION);
  app.require_subcommand(1);
  // Global options (--json, --model, --device ...) are accepted after the verb too, as the README's
  // examples write them: a subcommand passes options it does not know up to the app. Set before
  // the subcommands are added, which inherit it.
  app.fallthrough();
  GlobalOptions g;
  app.add_flag("--json", g.json, "Print machine-readable JSON results on stdout");
  app.add_flag("-v,--verbose", g.verbose, "Log details and show progress on stderr");
  app.add_option("--model", g.model, "Model: a Stable Diffusion .safetensors/.ckpt file or diffusers folder, a pack folder (default: the built-in model)");
  app.add_option("--device", g.device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  addModelSourceOptions(app, g);
#ifndef NS_CLI_CORE_ONLY
  // Images whose header claims more than this are refused before decoding (default 16384 a side,
  // 100 MPixel; also NS_MAX_IMAGE_SIDE / NS_MAX_IMAGE_PIXELS in the environment).
  int64_t maxImageSide = 0, maxImagePixels = 0;
  app.add_option("--max-image-side", maxImageSide, "Largest image width or height accepted (default 16384)")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-image-pixels", maxImagePixels, "Largest image area accepted, in pixels (default 100000000)")
      ->check(CLI::PositiveNumber);
#endif

  CommandTable table;
  addInfoCommand(app, g, table);
#ifndef NS_CLI_CORE_ONLY  // verbs that read or write images and videos (ns_media)
  addGenerateCommand(app, g, table);
  addModelCommand(app, g, table);
  addInvertCommand(app, g, table);
  addEditCommand(app, g, table);
  addNoiseCommands(app, g, table);
  addPlanCommands(app, g, table);
  addFarmCommand(app, g, table);
#endif
  addEvalLayoutCommand(app, g, table);
  addEvalVideoCommand(app, g, table);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  ns::initLogging("noisestudio-cli", g.verbose);
#ifndef NS_CLI_CORE_ONLY
  ns::media::setDefaultImageLimits(maxImageSide, maxImagePixels);
#endif
  installInterruptHandler();
  for (auto& [sub, run] : table.commands) {
    if (sub->parsed()) return run();
  }
  return kExitUsage;
}
