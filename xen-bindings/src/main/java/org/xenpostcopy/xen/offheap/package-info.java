/**
 * Memory outside the Java heap for guest RAM: {@link org.xenpostcopy.xen.offheap.OffHeapMemory} (one lazily backed
 * block, seen as a {@link java.nio.ByteBuffer}) and {@link org.xenpostcopy.xen.offheap.OffHeapAllocator}, a service
 * the native host provides (anonymous mappings with transparent huge pages, through JNA) and the emulated host uses.
 * The service is found at run time, so {@code xen.emulated} needs neither JNA nor {@code xen.nativehost}: native
 * code stays behind its wall and the two hosts stay peers. {@link org.xenpostcopy.xen.offheap.MappedFile} is the
 * other allocator: blocks of one file mapped shared, for guests that must outlive the process. Plain Java only.
 */
package org.xenpostcopy.xen.offheap;
