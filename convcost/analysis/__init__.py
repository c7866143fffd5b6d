"""Analysis over the operator graph: network walk, what-if, diff, budgets."""
