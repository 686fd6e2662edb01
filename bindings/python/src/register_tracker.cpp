// bindings/python/src/register_tracker.cpp — _core.HealthTracker, the streaming tracker (streaming/tracker.hpp);
// custhealth.HealthTracker wraps it: batches arrive as _core datasets, signals and scores run on its dataset.

#include "bindings.hpp"
#include "custhealth/streaming/tracker.hpp"

namespace custhealth::python {

namespace {

/// A tracker report as the dataset's ingest report, each table with its late and updated rows.
py::dict tracker_report_dict(const tracker_report& r) {
  py::dict out = report_dict(r.tables);
  for (const auto t : enum_values<table_id>()) {
    py::object table = out[py::str(std::string(to_string(t)))];
    table["late"] = r.late_rows(t), table["updated"] = r.updated_rows(t);
  }
  return out;
}

}  // namespace

void register_tracker(py::module_& m) {
  py::class_<health_tracker>(m, "HealthTracker", "The streaming health tracker (custhealth/streaming/tracker.hpp)")
      .def(py::init([](const scorecard& card, std::int64_t lateness_seconds, int csat_scale) {
             return health_tracker(card, {.lateness_seconds = lateness_seconds, .csat_scale = csat_scale});
           }),
           py::arg("card"), py::arg("lateness_seconds"), py::arg("csat_scale"))
      .def(
          "update",
          [](health_tracker& t, const dataset_ptr& batch) {
            tracker_report r;
            {
              py::gil_scoped_release release;
              r = t.update(*batch);
            }
            return tracker_report_dict(r);
          },
          py::arg("batch"), "Appends a validated batch; returns what it accepted and rejected (late rows too)")
      .def(
          "dataset",
          [](const health_tracker& t) {
            std::shared_ptr<const dataset> d;
            {
              py::gil_scoped_release release;
              d = t.data();
            }
            return std::const_pointer_cast<dataset>(d);
          },
          "The retained rows as one dataset (rebuilt when rows were added)")
      .def("alert_moments", &health_tracker::alert_moments, py::arg("as_of"),
           "The as-of times of alerts(as_of): [as_of] first, then [previous, as_of]; records as_of")
      .def_property_readonly("report", [](const health_tracker& t) { return tracker_report_dict(t.report()); })
      .def_property("position", &health_tracker::position, &health_tracker::set_position)
      .def_property_readonly("lateness_seconds", [](const health_tracker& t) { return t.options().lateness_seconds; })
      .def_property_readonly("csat_scale", [](const health_tracker& t) { return t.options().csat_scale; })
      .def_property_readonly("card", [](const health_tracker& t) { return t.card(); })
      .def(
          "snapshot",
          [](const health_tracker& t, const std::string& path) {
            py::gil_scoped_release release;
            t.snapshot(path);
          },
          py::arg("path"), "Writes the state atomically (temporary file, fsync, rename, fsync of the directory)")
      .def_static(
          "restore",
          [](const std::string& path, const scorecard& card) {
            py::gil_scoped_release release;
            return health_tracker::restore(path, card);
          },
          py::arg("path"), py::arg("card"), "The tracker a snapshot holds; refuses a damaged one or one of another card");
}

}  // namespace custhealth::python
