/**
 * The benchmark behind {@code xlpc bench}: migrations between emulated hosts over real Thrift on loopback,
 * measured, with a loopback TCP reference measured in the same run. Performance is measured here, never asserted
 * in tests.
 */
package org.xenpostcopy.migration.bench;
