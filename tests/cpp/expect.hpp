// tests/cpp/expect.hpp — small helpers the C++ tests share for checking errors.
#pragma once

#include <string>

#include "custhealth/error.hpp"

namespace custhealth::test {

/// The message of the invalid_input thrown by `f`, or "" when nothing (or something else) is thrown.
template <class F>
std::string invalid_input_message(F&& f) {
  try {
    f();
  } catch (const invalid_input& e) {
    return e.what();
  } catch (...) {
    return "<other exception>";
  }
  return "";
}

}  // namespace custhealth::test
