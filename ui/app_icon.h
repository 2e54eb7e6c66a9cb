#pragma once
// The application's icon, from the PNG renditions compiled into ns_ui's resources. PNGs, not the
// SVG: Qt needs its optional SVG plugin (not installed by default on Debian) to draw an SVG icon,
// and without it logs "qt.svg: Cannot open file" and shows no icon.
#include <QIcon>

namespace ns::ui {

// Also registers the resources of the static ns_ui library (whose registration the linker would
// otherwise drop): call before any ":/icons/..." path is used.
QIcon appIcon();

}  // namespace ns::ui
