// src/dataset.cpp — sealing loaded tables into a dataset: one account order, rows sorted by
// (account, time), the per-account index, duplicate counts; and the ingest report's bookkeeping.

#include "custhealth/dataset.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <type_traits>

namespace custhealth {

void table_report::reject(const std::string& location, const problem& p, bool strict) {
  constexpr std::size_t max_value_chars = 60;  // a 10 MB field must not become a 10 MB message
  std::string value = p.value;
  if (value.size() > max_value_chars) value = value.substr(0, max_value_chars) + "... (" + std::to_string(p.value.size()) + " bytes)";
  // A problem of the whole record (its field count, its quoting) names the line only.
  std::string reason = p.column.empty() ? p.reason : "column '" + p.column + "': " + p.reason;
  std::string message = location + ": " + reason + (p.value.empty() ? "" : ": \"" + value + "\"");
  if (strict) throw invalid_input(message);
  ++rejected;
  ++reasons[reason];
  if (examples.size() < max_examples) examples.push_back(std::move(message));
}

namespace {

column<std::int32_t> recode(const column<std::int32_t>& codes, const std::vector<std::int32_t>& remap,
                            std::string_view table) {
  std::vector<std::int32_t> out(codes.size());
  for (std::size_t i = 0; i < codes.size(); ++i) {
    const auto c = codes[i];
    if (c < 0 || std::size_t(c) >= remap.size())
      throw invalid_input(std::string(table) + "[" + std::to_string(i) + "]: account code " + std::to_string(c) +
                          " is not in the account dictionary");
    out[i] = remap[std::size_t(c)];
  }
  return column<std::int32_t>(std::move(out));
}

table_report& report_for(ingest_report& report, std::string_view table, std::size_t rows) {
  for (auto& t : report.tables)
    if (t.table == table) return t;
  auto& t = report.tables.emplace_back();
  t.table = table;
  t.source = rows ? "array" : "";  // empty: no loader was given this table
  t.read = t.accepted = static_cast<std::int64_t>(rows);
  return t;
}

/// Gives the accounts table one row per account code, in code order.
void seal_accounts(account_table& t, const std::vector<std::int32_t>& remap, std::size_t n) {
  const auto codes = recode(t.account, remap, t.name);
  std::vector<std::int32_t> account(n), segment(n, no_code), plan(n, no_code), owner(n, no_code);
  std::vector<timestamp> start(n, no_time), end(n, no_time), renewal(n, no_time);
  std::vector<double> seats(n, std::numeric_limits<double>::quiet_NaN());
  std::vector<bool> seen(n, false);
  for (std::size_t a = 0; a < n; ++a) account[a] = static_cast<std::int32_t>(a);
  for (std::size_t r = 0; r < codes.size(); ++r) {
    const auto a = std::size_t(codes[r]);
    if (seen[a]) throw invalid_input("accounts: account code " + std::to_string(a) + " appears in more than one row");
    seen[a] = true;
    auto copy = [&](auto& dst, const auto& src) {
      if (!src.empty()) dst[a] = src[r];
    };
    copy(start, t.start), copy(end, t.end), copy(segment, t.segment), copy(plan, t.plan);
    copy(owner, t.owner), copy(seats, t.seats), copy(renewal, t.renewal);
  }
  t.account = column(std::move(account));
  t.start = column(std::move(start));
  t.end = column(std::move(end));
  t.segment = column(std::move(segment));
  t.plan = column(std::move(plan));
  t.owner = column(std::move(owner));
  t.seats = column(std::move(seats));
  t.renewal = column(std::move(renewal));
}

/// Three-way comparison of two rows over every column, in column order.
template <class Table>
int compare_rows(const Table& t, std::size_t i, std::size_t j) {
  int order = 0;
  for_each_column(t, [&](const auto& c) {
    if (order == 0 && !c.empty()) order = c[i] < c[j] ? -1 : c[j] < c[i] ? 1 : 0;
  });
  return order;
}

/// Rows equal in every column to an earlier row. Duplicates can only sit in the same
/// (account, time) run of the sorted table; a run is sorted by all columns (O(k log k), so a day
/// of date-only timestamps with thousands of events stays cheap) and equal neighbours counted.
template <class Table>
std::int64_t count_duplicates(const Table& t) {
  const auto& time = t.*Table::sort_time;
  std::int64_t duplicates = 0;
  std::vector<std::size_t> run_rows;
  for (std::size_t run = 0, rows = t.size(); run < rows;) {
    std::size_t end = run + 1;
    while (end < rows && t.account[end] == t.account[run] && time[end] == time[run]) ++end;
    if (end - run > 1) {
      run_rows.resize(end - run);
      std::iota(run_rows.begin(), run_rows.end(), run);
      std::sort(run_rows.begin(), run_rows.end(), [&](auto a, auto b) { return compare_rows(t, a, b) < 0; });
      for (std::size_t k = 1; k < run_rows.size(); ++k) duplicates += compare_rows(t, run_rows[k - 1], run_rows[k]) == 0;
    }
    run = end;
  }
  return duplicates;
}

/// Sorts an event table by (account, time) — a stable counting sort by account, then a stable
/// sort of each account's rows by time only where they are out of order — and builds its index.
template <class Table>
void seal_events(Table& t, const std::vector<std::int32_t>& remap, std::size_t n, table_report& report) {
  t.account = recode(t.account, remap, t.name);
  const auto& time = t.*Table::sort_time;
  const std::size_t rows = t.size();

  std::vector<std::int64_t> offsets(n + 1, 0);
  bool sorted = true;
  for (std::size_t r = 0; r < rows; ++r) {
    ++offsets[std::size_t(t.account[r]) + 1];
    if (r > 0 && (t.account[r] < t.account[r - 1] || (t.account[r] == t.account[r - 1] && time[r] < time[r - 1])))
      sorted = false;
  }
  for (std::size_t a = 0; a < n; ++a) offsets[a + 1] += offsets[a];

  if (!sorted) {
    std::vector<std::int64_t> order(rows), next(offsets.begin(), offsets.end() - 1);
    for (std::size_t r = 0; r < rows; ++r) order[std::size_t(next[std::size_t(t.account[r])]++)] = std::int64_t(r);
    for (std::size_t a = 0; a < n; ++a) {
      auto first = order.begin() + offsets[a], last = order.begin() + offsets[a + 1];
      auto by_time = [&](std::int64_t x, std::int64_t y) { return time[std::size_t(x)] < time[std::size_t(y)]; };
      if (!std::is_sorted(first, last, by_time)) std::stable_sort(first, last, by_time);
    }
    for_each_column(t, [&](auto& c) { c = gather(c, order); });
  }

  report.duplicates = count_duplicates(t);
  t.index.offsets = std::move(offsets);
}

/// What the MRR analytics rely on: every value finite and ≥ 0, at most one row per account and
/// month. The loaders reject such rows with their line; parts built by hand (the generator, C++
/// callers) are checked here, once per dataset rather than on every analytic call, on the rows
/// sealed in (account, month) order, in the loaders' shape of message:
/// `mrr: account "acme": month 2024-03: column 'mrr': must not be negative: "-5.000000"`.
void check_mrr(const mrr_table& t, const dictionary& ids) {
  for (std::int32_t a = 0; a < std::int32_t(t.index.accounts()); ++a) {
    std::int64_t previous = std::numeric_limits<std::int64_t>::min();
    for (auto r = std::size_t(t.index.begin(a)); r < std::size_t(t.index.end(a)); ++r) {
      const auto where = [&] {
        return "mrr: account \"" + ids[a] + "\": month " + format_date(t.month[r]).substr(0, 7) + ": ";
      };
      if (const double v = t.mrr[r]; !(v >= 0 && v <= std::numeric_limits<double>::max()))  // the message only on failure
        if (const auto p = checks::finite_non_negative("mrr", v, std::to_string(v)))
          throw invalid_input(where() + "column 'mrr': " + p->reason + ": \"" + p->value + "\"");
      const auto m = period_index(t.month[r], period::month);
      if (m == previous) throw invalid_input(where() + "the account already has a row for this month");
      previous = m;
    }
  }
}

/// Every time of parts built by hand (the generator, C++ callers) inside the plausible span of
/// time.hpp, as the loaders check row by row: absent (no_time) only where a column is optional.
/// This is what lets every analytic compute periods and calendar dates without overflow.
template <class Table>
void check_times(const Table& table, const timestamp* required) {
  for_each_column(table, [&](const auto& c) {
    if constexpr (std::is_same_v<std::decay_t<decltype(c)>, column<timestamp>>) {
      for (std::size_t r = 0; r < c.size(); ++r) {
        const timestamp t = c[r];
        if (is_plausible_time(t) || (t == no_time && c.data() != required)) continue;
        throw invalid_input(std::string(Table::name) + "[" + std::to_string(r) + "]: " +
                            (t == no_time ? std::string("a required time is missing")
                                          : std::to_string(t) + " s is not a plausible time (before 1900 or from 2200 on)"));
      }
    }
  });
}

}  // namespace

dataset::dataset(dataset_parts parts) : p_(std::move(parts)) {
  const auto remap = p_.account_ids.sort();
  const std::size_t n = p_.account_ids.size();
  report_for(p_.report, account_table::name, p_.accounts.size());
  seal_accounts(p_.accounts, remap, n);

  check_times(p_.accounts, nullptr);
  auto seal = [&](auto& table) {
    check_times(table, (table.*std::remove_reference_t<decltype(table)>::sort_time).data());
    seal_events(table, remap, n, report_for(p_.report, table.name, table.size()));
  };
  seal(p_.usage), seal(p_.surveys), seal(p_.tickets), seal(p_.mrr), seal(p_.payments);
  check_mrr(p_.mrr, p_.account_ids);

  auto range_of = [&](table_id id, std::initializer_list<const column<timestamp>*> columns) {
    timestamp lo = std::numeric_limits<timestamp>::max(), hi = std::numeric_limits<timestamp>::min();
    for (const auto* c : columns)
      for (const timestamp t : *c)
        if (t != no_time) lo = std::min(lo, t), hi = std::max(hi, t);
    if (lo > hi) return;
    window& w = ranges_[static_cast<std::size_t>(id)];
    w = {day_number(lo) * seconds_per_day, (day_number(hi) + 1) * seconds_per_day};
    if (id == table_id::mrr) w.end = period_start(period_index(hi, period::month) + 1, period::month);
  };
  range_of(table_id::accounts, {&p_.accounts.start, &p_.accounts.end});
  range_of(table_id::usage, {&p_.usage.time});
  range_of(table_id::surveys, {&p_.surveys.time});
  range_of(table_id::tickets, {&p_.tickets.opened, &p_.tickets.first_response, &p_.tickets.resolved});
  range_of(table_id::mrr, {&p_.mrr.month});
  range_of(table_id::payments, {&p_.payments.time});
}

window dataset::time_range() const noexcept {
  window out{};
  for (std::size_t t = 0; t < ranges_.size(); ++t) {
    const window& w = ranges_[t];
    if (w.end == w.begin || table_id(t) == table_id::accounts) continue;
    out = out.end == out.begin ? w : window{std::min(out.begin, w.begin), std::max(out.end, w.end)};
  }
  return out.end != out.begin ? out : table_range(table_id::accounts);
}

timestamp dataset::data_end(std::initializer_list<table_id> tables) const noexcept {
  timestamp end = no_time;
  for (const table_id t : tables) {
    const window& w = table_range(t);
    if (w.end != w.begin) end = end == no_time ? w.end : std::min(end, w.end);
  }
  return end;
}

}  // namespace custhealth
