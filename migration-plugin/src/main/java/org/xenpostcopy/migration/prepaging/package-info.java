/**
 * Pre-paging policies: which page the source pushes next. Each is a small class behind
 * {@link org.xenpostcopy.migration.prepaging.PrePagingPolicy}; the push scheduler never hard-codes an order.
 */
package org.xenpostcopy.migration.prepaging;
