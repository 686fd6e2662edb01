// bindings/python/src/register_btyd.cpp — the buy-till-you-die fits and predictions of btyd/btyd.hpp for
// Python (custhealth.btyd): columns read in place from float64 numpy arrays, the GIL released while C++ works.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "custhealth/btyd/btyd.hpp"
#include "custhealth/btyd/rfm.hpp"

namespace custhealth::python {

namespace {

using btyd::customers;

btyd_model model_named(const std::string& name) {
  if (const auto m = enum_from_string<btyd_model>(name)) return *m;
  throw invalid_input("unknown BTYD model '" + name + "' (one of " + enum_choices<btyd_model>() + ")");
}

using column = std::optional<array_of<double>>;

std::span<const double> view(const column& c) { return c ? as_span(*c) : std::span<const double>{}; }

customers rows(const column& frequency, const column& recency, const column& T, const column& monetary,
               const column& weights) {
  return {view(frequency), view(recency), view(T), view(monetary), view(weights)};
}

py::dict fit_dict(const btyd::fit_result& r) {
  const auto k = static_cast<py::ssize_t>(r.params.size());
  py::array_t<double> cov({k, k});
  std::copy(r.covariance.begin(), r.covariance.end(), cov.mutable_data());
  py::dict d;
  d["params"] = r.params;
  d["covariance"] = cov;
  d["log_likelihood"] = r.log_likelihood;
  d["objective"] = r.objective;
  d["status"] = std::string(to_string(r.status));
  d["iterations"] = r.iterations;
  d["gradient_norm"] = r.gradient_norm;
  d["weight_sum"] = r.weight_sum;
  d["rows"] = r.rows;
  d["penalizer"] = r.penalizer;
  return d;
}

btyd::fit_options options(double penalizer, int max_iter, double tol, const std::optional<std::vector<double>>& initial) {
  btyd::fit_options o;
  o.penalizer = penalizer;
  o.max_iter = max_iter;
  o.tol = tol;
  if (initial) o.initial = *initial;
  return o;
}

/// out[i] for each row, computed without the GIL.
template <class F>
py::array_t<double> per_row(std::size_t n, F&& f) {
  py::array_t<double> out(std::vector<py::ssize_t>{static_cast<py::ssize_t>(n)});
  double* data = out.mutable_data();
  {
    py::gil_scoped_release release;
    f(std::span<double>(data, n));
  }
  return out;
}

}  // namespace

void register_btyd(py::module_& m) {
  m.def(
      "btyd_rfm_dataset",
      [](const dataset& data, const std::string& table, const std::optional<std::string>& currency,
         std::optional<timestamp> as_of, const std::string& freq) {
        btyd::rfm_options o;
        o.table = parse_enum<table_id>("table", table);
        o.currency = currency.value_or("");
        o.as_of = as_of.value_or(no_time);
        o.unit = parse_period(freq);
        btyd::rfm_table r;
        {
          py::gil_scoped_release release;
          r = btyd::rfm_summary(data, o);
        }
        std::vector<std::string> ids;
        ids.reserve(r.size());
        for (const std::int32_t a : r.account) ids.push_back(data.account_ids()[a]);
        auto array = [](const std::vector<double>& v) { return py::array_t<double>(py::ssize_t(v.size()), v.data()); };
        py::dict d;
        d["account_id"] = ids;
        d["frequency"] = array(r.frequency);
        d["recency"] = array(r.recency);
        d["T"] = array(r.T);
        d["monetary_value"] = r.table == table_id::payments ? py::object(array(r.monetary)) : py::object(py::none());
        d["as_of"] = r.as_of;
        d["currency"] = r.currency;
        d["transactions"] = r.transactions;
        return d;
      },
      py::arg("dataset"), py::arg("table"), py::arg("currency"), py::arg("as_of"), py::arg("freq"),
      R"pbdoc(The RFM summary of a Dataset's payments or usage table in C++ (btyd/rfm.hpp): rows before as_of
(epoch seconds; None: the end of the table's data), periods of freq (D, W, M, Q).)pbdoc");
  m.def("btyd_parameter_names", [](const std::string& model) {
    std::vector<std::string> out;
    for (auto name : btyd::parameter_names(model_named(model))) out.emplace_back(name);
    return out;
  });
  m.def(
      "btyd_fit",
      [](const std::string& model, const column& frequency, const column& recency, const column& T,
         const column& monetary, const column& weights, double penalizer, int max_iter, double tol,
         const std::optional<std::vector<double>>& initial) {
        const btyd_model md = model_named(model);
        const customers c = rows(frequency, recency, T, monetary, weights);
        const btyd::fit_options o = options(penalizer, max_iter, tol, initial);
        btyd::fit_result r;
        {
          py::gil_scoped_release release;
          r = btyd::fit(md, c, o);
        }
        return fit_dict(r);
      },
      py::arg("model"), py::arg("frequency"), py::arg("recency"), py::arg("T"), py::arg("monetary"),
      py::arg("weights"), py::arg("penalizer") = 0.0, py::arg("max_iter") = 500, py::arg("tol") = 1e-9,
      py::arg("initial") = py::none());
  m.def(
      "btyd_fit_sbg",
      [](const array_of<double>& alive, double penalizer, int max_iter, double tol,
         const std::optional<std::vector<double>>& initial) {
        const auto counts = as_span(alive);
        const btyd::fit_options o = options(penalizer, max_iter, tol, initial);
        btyd::fit_result r;
        {
          py::gil_scoped_release release;
          r = btyd::fit_sbg(counts, o);
        }
        return fit_dict(r);
      },
      py::arg("alive"), py::arg("penalizer") = 0.0, py::arg("max_iter") = 500, py::arg("tol") = 1e-9,
      py::arg("initial") = py::none());
  m.def("btyd_sbg_log_likelihood", [](const std::vector<double>& params, const array_of<double>& alive) {
    return btyd::sbg_log_likelihood(params, as_span(alive));
  });
  m.def("btyd_log_likelihood_rows", [](const std::string& model, const std::vector<double>& params,
                                       const column& frequency, const column& recency, const column& T,
                                       const column& monetary, const column& weights) {
    const customers c = rows(frequency, recency, T, monetary, weights);
    return per_row(c.frequency.size(),
                   [&](std::span<double> out) { btyd::log_likelihood_rows(model_named(model), params, c, out); });
  });
  m.def(
      "btyd_p_alive",
      [](const std::string& model, const std::vector<double>& params, const column& frequency, const column& recency,
         const column& T, double t_future, std::int32_t n_threads) {
        const customers c = rows(frequency, recency, T, std::nullopt, std::nullopt);
        return per_row(c.frequency.size(), [&](std::span<double> out) {
          btyd::p_alive(model_named(model), params, c, out, t_future, n_threads);
        });
      },
      py::arg("model"), py::arg("params"), py::arg("frequency"), py::arg("recency"), py::arg("T"), py::arg("t_future"),
      py::arg("n_threads") = 1);
  m.def(
      "btyd_conditional_expected",
      [](const std::string& model, const std::vector<double>& params, double t, const column& frequency,
         const column& recency, const column& T, std::int32_t n_threads) {
        const customers c = rows(frequency, recency, T, std::nullopt, std::nullopt);
        return per_row(c.frequency.size(), [&](std::span<double> out) {
          btyd::conditional_expected_purchases(model_named(model), params, t, c, out, n_threads);
        });
      },
      py::arg("model"), py::arg("params"), py::arg("t"), py::arg("frequency"), py::arg("recency"), py::arg("T"),
      py::arg("n_threads") = 1);
  m.def("btyd_expected", [](const std::string& model, const std::vector<double>& params, const array_of<double>& t) {
    return per_row(static_cast<std::size_t>(t.size()),
                   [&](std::span<double> out) { btyd::expected_purchases(model_named(model), params, as_span(t), out); });
  });
  m.def("btyd_probability", [](const std::string& model, const std::vector<double>& params, const array_of<double>& t,
                               std::int64_t n) {
    return per_row(static_cast<std::size_t>(t.size()), [&](std::span<double> out) {
      btyd::probability_of_purchases(model_named(model), params, as_span(t), n, out);
    });
  });
  m.def("btyd_expected_average_profit", [](const std::vector<double>& params, const array_of<double>& frequency,
                                           const array_of<double>& monetary) {
    return per_row(static_cast<std::size_t>(frequency.size()), [&](std::span<double> out) {
      btyd::conditional_expected_average_profit(params, as_span(frequency), as_span(monetary), out);
    });
  });
  m.def("btyd_sbg_survival", [](const std::vector<double>& params, const array_of<double>& t) {
    return per_row(static_cast<std::size_t>(t.size()),
                   [&](std::span<double> out) { btyd::sbg_survival(params, as_span(t), out); });
  });
  m.def("btyd_sbg_retention", [](const std::vector<double>& params, const array_of<double>& t) {
    return per_row(static_cast<std::size_t>(t.size()),
                   [&](std::span<double> out) { btyd::sbg_retention(params, as_span(t), out); });
  });
  m.def("log_hyp2f1", &btyd::log_hyp2f1, py::arg("a"), py::arg("b"), py::arg("c"), py::arg("z"));
}

}  // namespace custhealth::python
