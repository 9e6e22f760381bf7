// Log lines `YYYY-MM-DD HH:MM:SS [LEVEL] logger: message` (pipeline.md §11); one shared sink so
// the host's and every plugin's loggers (`<kind>/<name>`) write alike.
#pragma once

#include <string>

namespace axion::host {

// Returns false when the level name is not debug|info|warning|error (case-insensitive).
bool setup_logging(const std::string& level);

}  // namespace axion::host
