// bindings/python/src/register_payments.cpp — payments quality for Python: counts, volumes, rates and
// chargeback flags per group over a dataset's payments or a DataFrame's columns (read in place).

#include "custhealth/payments/quality.hpp"
#include "grouped_bindings.hpp"
#include "partial_state.hpp"

namespace custhealth::python {

namespace {

py::dict payments_out(grouped<payment_counts>&& g, const payment_thresholds& th) {
  column_builder cols(g.size());
  static constexpr std::array<const char*, 5> count_names{"payments", "refunds", "chargebacks", "declines",
                                                          "cancellations"};
  static constexpr std::array<const char*, 5> volume_names{"payment_volume", "refund_volume", "chargeback_volume",
                                                           "decline_volume", "cancellation_volume"};
  std::array<std::vector<std::int64_t>*, 5> counts{};
  std::array<std::vector<double>*, 5> volumes{};
  for (std::size_t t = 0; t < 5; ++t) counts[t] = &cols.integer(count_names[t]);
  for (std::size_t t = 0; t < 5; ++t) volumes[t] = &cols.real(volume_names[t]);
  auto& refund_rate = cols.real("refund_rate");
  auto& refund_amount_rate = cols.real("refund_amount_rate");
  auto& chargeback_ratio = cols.real("chargeback_ratio");
  auto& decline_rate = cols.real("decline_rate");
  auto& cancellation_rate = cols.real("cancellation_rate");
  auto& flag = cols.integer("flag");
  for (std::size_t i = 0; i < g.size(); ++i) {
    const payment_counts& c = g.values[i];
    for (std::size_t t = 0; t < 5; ++t) {
      (*counts[t])[i] = c.count[t];
      (*volumes[t])[i] = c.amount(static_cast<payment_type>(t));  // NaN across currencies
    }
    refund_rate[i] = c.refund_rate(), refund_amount_rate[i] = c.refund_amount_rate();
    chargeback_ratio[i] = c.chargeback_ratio(), decline_rate[i] = c.decline_rate();
    cancellation_rate[i] = c.cancellation_rate();
    flag[i] = static_cast<std::int64_t>(chargeback_flag(c, th));
  }
  py::dict out = keys_out(std::move(g.keys));
  out["columns"] = cols.finish();
  return out;
}

/// The chargeback thresholds a payments state reports its flags with.
struct threshold_params {
  double warning = 0, breach = 0;
  friend bool operator==(const threshold_params&, const threshold_params&) = default;
};
using payments_state = partial_state<grouped<payment_counts>, threshold_params>;

}  // namespace

void register_payments(py::module_& m) {
  // Volumes are compensated sums (hi, lo): merged in any order they give the correctly rounded total.
  partial_class<payments_state>(m, "PaymentsState",
                                "Mergeable partial state of payments_summary over some rows (custhealth.dask)",
                                "payments_state", [](const payments_state& s) {
                                  return payments_out(grouped<payment_counts>(s.value),
                                                      {s.params.warning, s.params.breach});
                                });
  m.def(
      "payments_arrays",
      [](const py::object& time, std::int64_t ticks_per_second, const py::object& type, const py::object& amount,
         const py::list& keys, const std::optional<std::string>& per, std::optional<timestamp> as_of,
         std::int64_t window_days, double warning, double breach, std::int32_t n_threads, bool state,
         const py::object& currency) -> py::object {
        const payment_thresholds th{warning, breach};
        th.validate();
        python_keys pk(keys);
        std::vector<py::object> keep;
        payment_rows rows;
        if (time.is_none()) throw invalid_input("payments: a time column is required");
        rows.time = times_of(time, ticks_per_second, "timestamp", keep);
        rows.type = codes_of(type.cast<py::array>(), "type", keep);
        auto amounts = array_of<double>::ensure(amount);
        if (!amounts) throw invalid_input("payments: amounts must be numbers");
        rows.amount = as_span(amounts);
        rows.keys = pk.columns;
        if (!currency.is_none()) {  // (codes, names): amounts in different currencies are never added
          const auto pair = currency.cast<py::tuple>();
          const auto names = pair[1].cast<std::vector<std::string>>();
          rows.set_currency(codes_of(pair[0].cast<py::array>(), "currency", keep), names);
        }
        const auto scope = scope_of(per, as_of, window_days);
        grouped<payment_counts> g;
        {
          py::gil_scoped_release release;
          g = payments_by(rows, scope, n_threads);
        }
        if (state) return py::cast(payments_state{std::move(g), {warning, breach}});
        py::dict out = payments_out(std::move(g), th);
        py::dict inputs;
        inputs["time"] = address_of(rows.time.ticks.data());
        inputs["amount"] = address_of(rows.amount.data());
        inputs["keys"] = pk.addresses;
        out["inputs"] = inputs;
        return out;
      },
      py::arg("time"), py::arg("ticks_per_second"), py::arg("type"), py::arg("amount"), py::arg("keys"),
      py::arg("period"), py::arg("as_of"), py::arg("window_days"), py::arg("warning"), py::arg("breach"),
      py::arg("n_threads") = 1, py::arg("state") = false, py::arg("currency") = py::none(),
      "Payments quality of DataFrame columns: a dict of arrays, or with state=True the mergeable PaymentsState");

  m.def(
      "payments_dataset",
      [](const dataset& data, const std::vector<std::string>& by, const std::optional<std::string>& per,
         std::optional<timestamp> as_of, std::int64_t window_days, double warning, double breach,
         std::int32_t n_threads) {
        const payment_thresholds th{warning, breach};
        th.validate();
        const auto scope = scope_of(per, as_of, window_days);
        grouped<payment_counts> g;
        {
          py::gil_scoped_release release;
          g = payments_by(data, by, scope, n_threads);
        }
        return payments_out(std::move(g), th);
      },
      py::arg("dataset"), py::arg("by"), py::arg("period"), py::arg("as_of"), py::arg("window_days"),
      py::arg("warning"), py::arg("breach"), py::arg("n_threads") = 1);
}

}  // namespace custhealth::python
