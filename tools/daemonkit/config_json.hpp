// The stored options of a service (NAME.json), so `restart NAME` needs only the name.
#pragma once

#include <string>

#include "daemonkit/result.hpp"
#include "daemonkit/service.hpp"

namespace dk {

std::string config_to_json(const daemonkit::service_config& c);
// Rejects anything that does not describe a service (wrong types, missing
// argv, a bad signal number): errors name the field.
daemonkit::result<daemonkit::service_config> config_from_json(std::string_view text);

daemonkit::result<void> write_config(const std::string& path, const daemonkit::service_config& c);
daemonkit::result<daemonkit::service_config> read_config(const std::string& path);

}  // namespace dk
