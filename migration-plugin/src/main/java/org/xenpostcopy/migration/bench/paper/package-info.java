/**
 * {@code xlpc bench paper}: the evaluation of Hines &amp; Gopalan (VEE 2009) re-run on emulated hosts over real Thrift
 * on loopback, a 1 Gbit/s shaped link between them. One class per experiment (figure or table); each writes a CSV
 * of what the migration reports measured, one row per run, and a PNG plot in the paper's shape. The numbers come
 * from the reports and the guests' own counters; the only thing measured here is the bytes a relay sees on the
 * wire over time (Fig. 9–10), where the engine's own counter cannot be read while a migration runs.
 */
package org.xenpostcopy.migration.bench.paper;
