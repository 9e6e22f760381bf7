// The SDK's eventually() (axion/sdk/testing/eventually.hpp) under the engine tests' namespace.
#pragma once

#include "axion/sdk/testing/eventually.hpp"

namespace axion::test {

using axion::sdk::testing::eventually;

}  // namespace axion::test
