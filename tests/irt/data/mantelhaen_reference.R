# Reference values for hierlab's Mantel-Haenszel DIF test, from base R's mantelhaen.test.
#
# Run from this folder with `Rscript mantelhaen_reference.R`; it writes
# mantelhaen_tables.csv (the 2 x 2 x K tables: rows reference / focal, columns right /
# wrong) and mantelhaen_reference.csv (R's statistic, p-value, common odds ratio and its
# 95% interval, with and without the continuity correction). The test suite reads both
# files; it never runs R.
set.seed(20240607)
make_table <- function(k, size, shift) {
  out <- array(0, dim = c(2, 2, k))
  for (s in seq_len(k)) {
    n_ref <- 2 + rpois(1, size)
    n_foc <- 2 + rpois(1, size)
    p <- plogis(-1.5 + 3 * (s - 1) / max(k - 1, 1))
    right_ref <- rbinom(1, n_ref, p)
    right_foc <- rbinom(1, n_foc, plogis(qlogis(p) - shift))
    out[, , s] <- matrix(c(right_ref, right_foc, n_ref - right_ref, n_foc - right_foc), 2, 2)
  }
  out
}
tables <- list(
  no_dif = make_table(6, 20, 0),
  uniform_dif = make_table(8, 25, 0.8),
  sparse_strata = make_table(12, 2, 0.5),
  two_strata = make_table(2, 40, -0.6),
  many_strata = make_table(20, 6, 0.3)
)
rows <- c()
res <- c()
for (name in names(tables)) {
  x <- tables[[name]]
  for (s in seq_len(dim(x)[3])) {
    rows <- c(rows, sprintf("%s,%d,%d,%d,%d,%d", name, s, x[1, 1, s], x[1, 2, s], x[2, 1, s], x[2, 2, s]))
  }
  for (correct in c(TRUE, FALSE)) {
    t <- mantelhaen.test(x, correct = correct)
    res <- c(res, sprintf("%s,%s,%.15g,%.15g,%.15g,%.15g,%.15g", name, correct, t$statistic,
                          t$p.value, t$estimate, t$conf.int[1], t$conf.int[2]))
  }
}
writeLines(c("table,stratum,reference_right,reference_wrong,focal_right,focal_wrong", rows),
           "mantelhaen_tables.csv")
writeLines(c("table,correct,statistic,p_value,odds_ratio,ci_low,ci_high", res),
           "mantelhaen_reference.csv")
cat(R.version.string, "\n")
