/** The migration report (public JSON interface) and the measurements it is computed from. */
package org.xenpostcopy.migration.report;
