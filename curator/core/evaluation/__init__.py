"""Evaluation: base vs tuned on the same examples. runner (concurrency, cache, resume), scoring
(scikit-learn), stats (paired comparison), scorecard, runs (kept in the workspace), report, compare."""
