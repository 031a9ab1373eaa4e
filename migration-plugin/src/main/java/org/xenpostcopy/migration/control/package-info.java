/**
 * The daemon's control service: what {@code xlpc list}, {@code create}, {@code mem-set}, {@code dsb} and
 * {@code migrate} ask of a host, over the same Thrift port as the migration channel.
 */
package org.xenpostcopy.migration.control;
