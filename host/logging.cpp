#include "logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

namespace axion::host {

namespace {
// spdlog prints "info"/"warning"; the documented format wants INFO/WARNING.
class UpperLevel : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const char* name = "INFO";
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug: name = "DEBUG"; break;
      case spdlog::level::info: name = "INFO"; break;
      case spdlog::level::warn: name = "WARNING"; break;
      case spdlog::level::err: name = "ERROR"; break;
      case spdlog::level::critical: name = "CRITICAL"; break;
      default: break;
    }
    dest.append(name, name + std::char_traits<char>::length(name));
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return spdlog::details::make_unique<UpperLevel>();
  }
};
}  // namespace

bool setup_logging(const std::string& level_name) {
  std::string l = level_name;
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  spdlog::level::level_enum level;
  if (l == "debug") {
    level = spdlog::level::debug;
  } else if (l == "info") {
    level = spdlog::level::info;
  } else if (l == "warning" || l == "warn") {
    level = spdlog::level::warn;
  } else if (l == "error") {
    level = spdlog::level::err;
  } else {
    return false;
  }
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<UpperLevel>('*').set_pattern("%Y-%m-%d %H:%M:%S [%*] %n: %v");
  sink->set_formatter(std::move(formatter));
  auto logger = std::make_shared<spdlog::logger>("axion.bot", sink);
  logger->set_level(level);
  spdlog::drop_all();
  spdlog::set_default_logger(logger);
  spdlog::set_level(level);
  return true;
}

}  // namespace axion::host
