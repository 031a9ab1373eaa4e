/**
 * Pre-paging policies: which page the source pushes next. Each is a small class behind
 * {@link org.xenpostcopy.migration.prepaging.PrePagingPolicy}, one per {@code --prepaging} name: {@code demand}
 * ({@code DemandOnly}), {@code push} ({@code LinearPush}), {@code bubble-forward} ({@code ForwardBubble}, ours),
 * {@code bubble} ({@code DualBubble}, the paper's) and {@code multibubble} ({@code MultiBubble}, the paper's
 * multi-pivot bubbling); the push scheduler never hard-codes an order.
 */
package org.xenpostcopy.migration.prepaging;
