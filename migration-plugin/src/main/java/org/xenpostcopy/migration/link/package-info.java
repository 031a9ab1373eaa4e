/** Link shaping on the sending side, so experiments can mimic the paper's 1 Gbps LAN on loopback. */
package org.xenpostcopy.migration.link;
