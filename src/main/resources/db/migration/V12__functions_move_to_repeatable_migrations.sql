-- FairQueue schema v12: the live body of every function is in a repeatable migration, one file
-- per concern (db/functions/R__*.sql), edited in place; Flyway runs those after the versioned
-- ones, and again whenever one changes. fq_recount is one flat function there (R__recount.sql),
-- so the renamed older recounts that it called, each wrapping the next, are dropped.
DROP FUNCTION fq_recount_v8(boolean);
DROP FUNCTION fq_recount_v5(boolean);
DROP FUNCTION fq_recount_v4(boolean);
