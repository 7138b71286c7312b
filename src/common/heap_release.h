// Giving the heap's free memory back to the system.
//
// glibc keeps freed chunks in the arena of the thread that allocated them and
// shrinks an arena only from its top. Per-flow state that comes from the heap
// (the slow path's ukeys, translation results, dump buffers) is allocated by
// handler and revalidator threads during a storm and freed when the flows
// age out; a few chunks still in use (MAC entries, a rule's counters) pin the
// arena's top, so the process stays near its high-water mark with almost
// nothing in use (measured: 18 MB resident in one thread's arena, 0.5 MB of it
// in use, after 20,000 flows aged out).
//
// Per-flow objects that can come from slabs should (common/slab_allocator.h):
// their memory goes back a slab at a time without help. This is the safety
// net for the rest: after a large batch of frees, return every whole free
// page of every arena. The cost is that of giving the pages back (measured
// on this project's 2-vCPU VM: 0.34 s of CPU for 64 MB left in 256-byte
// holes, 2 ms when there is nothing to return), and it holds each arena's
// lock while it trims that arena, stalling that thread's mallocs: call it
// from the control side after many frees (the revalidator, once rounds have
// removed thousands of flows), never from a forwarding thread.
#pragma once

namespace flowpath {

// Returns free heap pages to the system (malloc_trim(0) on glibc; nothing
// elsewhere). True if any memory was returned.
bool release_free_heap_memory();

}  // namespace flowpath
