// tests/fuzz/fuzz_loaders.cpp — a libFuzzer target over every CSV loader (each table, strict and
// lenient), the write_csv → read_csv round trip and the array loader, under ASan + UBSan (tests/fuzz/run).
//
// The first byte picks the table (byte % 6, in the order of `tables` below) and the mode
// (byte / 6 % 2: 0 strict, 1 lenient); the rest is the file. Invariants checked per input: no
// sanitizer report; no exception but invalid_input; `read == accepted + rejected` for every table;
// whatever loads is written out and read back strictly to the same tables, and its columns load
// strictly through read_arrays to the same values.

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../cpp/arrays_of.hpp"
#include "custhealth/io/csv.hpp"

namespace fs = std::filesystem;
using namespace custhealth;

namespace {

constexpr const char* tables[] = {"accounts", "usage", "surveys", "tickets", "mrr", "payments"};

[[noreturn]] void broken(const std::string& why) {
  std::fprintf(stderr, "invariant broken: %s\n", why.c_str());
  std::abort();
}

const fs::path& scratch() {
  static const fs::path dir = [] {
    const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    auto d = base / ("custhealth-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

std::optional<fs::path>& slot(csv_files& f, int table) {
  std::optional<fs::path>* slots[] = {&f.accounts, &f.usage, &f.surveys, &f.tickets, &f.mrr, &f.payments};
  return *slots[table];
}

/// Equal values, NaN equal to NaN (an absent number reads back as NaN).
template <class T>
bool same(const T& a, const T& b) {
  if constexpr (std::is_floating_point_v<T>)
    return a == b || (std::isnan(a) && std::isnan(b));
  else
    return a == b;
}

/// Every column of two tables equal, except dictionary codes (int32), whose numbering follows the
/// order in which a file lists its names.
template <class Table>
void check_same(const Table& a, const Table& b) {
  if (a.size() != b.size()) broken(std::string(Table::name) + ": row count changed in the round trip");
  auto ca = Table::columns(a);
  auto cb = Table::columns(b);
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ([&] {
      const auto& x = std::get<I>(ca);
      const auto& y = std::get<I>(cb);
      using V = typename std::remove_cvref_t<decltype(x)>::value_type;
      if constexpr (!std::is_same_v<V, std::int32_t>) {
        if (x.size() != y.size()) broken(std::string(Table::name) + ": a column changed size in the round trip");
        for (std::size_t r = 0; r < x.size(); ++r)
          if (!same(x[r], y[r])) broken(std::string(Table::name) + ": a value changed in the round trip, row " + std::to_string(r));
      }
    }(), ...);
  }(std::make_index_sequence<std::tuple_size_v<decltype(ca)>>{});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const int table = data[0] % 6;
  load_options options;
  options.strict = (data[0] / 6) % 2 == 0;
  const fs::path in = scratch() / (std::string(tables[table]) + ".csv");
  {
    std::ofstream out(in, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
  }
  csv_files files;
  slot(files, table) = in;
  std::optional<dataset> loaded;
  try {
    loaded.emplace(read_csv(files, options));
  } catch (const invalid_input&) {
    return 0;  // the documented error (strict mode, or a file-level problem)
  }
  for (const auto& t : loaded->report().tables)
    if (t.read != t.accepted + t.rejected) broken(t.table + ": read != accepted + rejected");

  const fs::path out = scratch() / "round_trip";
  fs::remove_all(out);
  write_csv(*loaded, out);
  if (fs::is_empty(out)) return 0;  // no rows at all: nothing was written, nothing to read back
  dataset back;
  try {
    back = read_csv(csv_files::in_directory(out));
  } catch (const invalid_input& e) {
    broken(std::string("written files do not read back: ") + e.what());
  }
  if (back.account_ids().values() != loaded->account_ids().values()) broken("account ids changed in the round trip");
  check_same(loaded->accounts(), back.accounts());
  check_same(loaded->usage(), back.usage());
  check_same(loaded->surveys(), back.surveys());
  check_same(loaded->tickets(), back.tickets());
  check_same(loaded->mrr(), back.mrr());
  check_same(loaded->payments(), back.payments());

  // The array loader accepts, strictly, every row the CSV reader accepted, and holds the same values.
  const auto arrays = custhealth::test::as_arrays(*loaded);
  try {
    if (const auto d = custhealth::test::difference(*loaded, read_arrays(arrays.tables)))
      broken("the array loader read other values: " + *d);
  } catch (const invalid_input& e) {
    broken(std::string("the array loader rejects what read_csv accepted: ") + e.what());
  }
  return 0;
}
