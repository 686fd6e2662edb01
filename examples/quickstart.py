# A notebook's first use of custhealth: a synthetic portfolio, NPS by quarter, cohort retention.
import custhealth as ch

ds = ch.generate(n_accounts=300, days=730, seed=7)           # or ch.read_csv(directory="examples/data")
print(ds)
print(ch.nps(ds.table("surveys").query("kind == 'nps'")["score"]))
print(ch.feedback_summary(ds, kind="nps", period="Q")[["period", "n", "score", "ci_low", "ci_high"]])
cohorts = ch.cohort_retention(ds, period="Q")
print(cohorts.rates.round(2))
