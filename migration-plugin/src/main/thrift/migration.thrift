/*
 * The xen-postcopy wire protocol between two xlpc daemons.
 *
 * Four connections per migration, each served by its own thread on the receiving end:
 *   control    source -> destination  MigrationReceiver.prepare / resume / complete / abort / reconnect / recovered
 *   push       source -> destination  MigrationReceiver.pushPages (oneway, bulk)
 *   heartbeat  source -> destination  MigrationReceiver.heartbeat (after the switch, every stall/5)
 *   demand     destination -> source  SourcePages.fetch (urgent; never queued behind push; an empty fetch pings)
 *   checkpoint destination -> source  SourcePages.checkpointPages / checkpointCommit (reverse checkpoints)
 *
 * Every call names its session, so after a cut the source opens fresh connections and recovers the session:
 * reconnect (the destination names the pages it still misses), then recovered (it reopens its demand channel).
 * Page delivery is idempotent (a page that arrives twice is counted, not loaded twice). Field ids are never
 * reused.
 *
 * Bulk fields are packed binary, not lists, so no per-page objects are built on either side:
 *   gfns:  little-endian u64 per page
 *   pages: 4096 bytes per page, in the order of gfns
 */
namespace java org.xenpostcopy.migration.protocol.thrift

const i32 PAGE_SIZE = 4096
/** The most pages one pushPages or fetch may carry. */
const i32 MAX_BATCH_PAGES = 1024

/** Error codes a peer can act on; message is one human sentence. */
enum TErrorCode {
  UNKNOWN_SESSION = 1,
  BAD_REQUEST = 2,
  HOST_ERROR = 3,
  WRONG_STATE = 4,
  TIMEOUT = 5,
  UNAUTHORIZED = 6,
  NO_SUCH_DOMAIN = 7,
  /** recovery of a session the destination prepared but never resumed: the source may take the guest back */
  NOT_RESUMED = 8,
  /** the source runs the guest again from its copy and the last checkpoint: the destination's copy must go */
  TAKEN_BACK = 9,
}

exception TMigrationError {
  1: TErrorCode code,
  2: string message,
}

/** The domain as the destination must create it. */
struct TDomainSpec {
  1: string name,
  2: i64 memoryPages,
  3: i32 vcpus,
  /** the guest program (emulated hosts) */
  4: string guest,
  5: i64 seed,
  /** memory/target in KiB at the source, so the destination's balloon starts where the source's was */
  6: i64 targetKiB,
}

struct TPrepare {
  1: string sessionId,
  2: TDomainSpec domain,
  /** where the destination's demand connection reaches the source's PageServer */
  3: string sourceHost,
  4: i32 sourcePort,
  /** link shaping for the destination->source direction (demand requests); 0 = unshaped */
  5: i64 linkMbps,
  6: i32 linkLatencyMs,
  /** gfns that are unpopulated at the source now (ballooned out), as a bitmap of little-endian u64 words */
  7: binary unpopulated,
  /**
   * "postcopy": every page paged out now, all arrive after resume; "precopy": pages arrive before resume and are
   * written straight into memory; "hybrid": pre-copy rounds first, then the pages named at resume arrive post-copy
   */
  8: string mode = "postcopy",
  /** gfns in the source's physmap (0..max gpfn; on real Xen larger than memoryPages); absent = memoryPages */
  9: optional i64 gfnCount,
  /**
   * milliseconds of silence after which either side counts the link as cut (no heartbeat, no reply, a write
   * that does not move) and pauses the session until the source reconnects; absent = 5000
   */
  10: optional i32 stallMs,
  /**
   * reverse checkpoints: every checkpointMs the destination sends the source the pages its guest dirtied and its
   * vCPU state; absent or 0 = none (and no fail-back: a dead destination then loses the guest)
   */
  11: optional i32 checkpointMs,
  /**
   * with checkpoints: the destination runs the guest only while a reply of the source, to a request sent less than
   * leaseMs ago, says it may (TFetchReply.granted); past that it pauses it. The source restores the guest from
   * its last checkpoint only once every lease it granted has run out.
   */
  12: optional i32 leaseMs,
}

struct TPrepareReply {
  1: i32 destinationDomid,
  /** milliseconds the destination spent creating the domain and paging every gfn out */
  2: double prepareMs,
  /**
   * the lease the destination will run the guest on (TPrepare.leaseMs, echoed); absent: none. A source fails back
   * only on a destination that echoed it: one that ignored it would keep running its copy.
   */
  3: optional i32 leaseMs,
}

struct TVcpuState {
  1: i32 vcpu,
  2: binary context,
}

struct TResume {
  1: string sessionId,
  2: list<TVcpuState> vcpus,
  /** gfns unpopulated at the source at pause time (final); bitmap as in TPrepare */
  3: binary unpopulated,
  /** pages pushed before this call (pre-copy); the destination waits for all of them before unpausing */
  4: i64 pagesSentBefore,
  /** hybrid: the gfns still to come by post-copy (bitmap); absent otherwise */
  5: optional binary outstanding,
  /**
   * memory/target (KiB) at the source when the guest was paused: the destination writes it before unpausing, so
   * the guest's balloon does not act on the older target prepare carried and give back pages still on their way
   */
  6: optional i64 targetKiB,
}

struct TResumeReply {
  /** milliseconds from receiving resume to the domain running (part of the downtime) */
  1: double resumeMs,
  /** milliseconds from receiving resume to sending this reply */
  2: double handlerMs,
}

struct TPages {
  1: binary gfns,
  2: binary pages,
}

struct TFetchReply {
  /** pages sent on this connection, now */
  1: TPages pages,
  /** gfns that were already sent on the push connection: they are on their way */
  2: binary alreadySent,
  /** the source still lets the guest run at the destination: its lease runs leaseMs from this request's sending */
  3: optional bool granted,
  /** the source destroyed its copy after the completion: the guest runs at the destination on no lease */
  4: optional bool released,
}
/**
 * One reverse checkpoint, committed after its pages (checkpointPages with the same seq): the guest's state at one
 * instant of its run at the destination, as a change to the source's paused copy.
 */
struct TCheckpoint {
  1: i64 seq,
  2: list<TVcpuState> vcpus,
  /** gfns unpopulated at the destination at that instant (bitmap as in TPrepare) */
  3: binary unpopulated,
  /** pages sent for this seq: the source commits only if it holds exactly these */
  4: i64 pageCount,
  /** guest operations at that instant (-1 if the host cannot tell) */
  5: i64 guestOps,
}

struct TLatency {
  1: double p50Us,
  2: double p99Us,
  3: double maxUs,
}

/** Requests off the vm_event ring that waited for one kind of arrival, and how long (the pager's side). */
struct TPagerWaits {
  1: i64 requests,
  2: TLatency latency,
}

struct TCompletion {
  1: i64 pagesReceived,
  2: i64 duplicatePages,
  /** first guest touches of post-copy pages that had to be fetched from the source */
  3: i64 networkFaults,
  // 4: prepagedHits, retired (it counted only faults a push answered while they sat on the ring); never reused
  5: TLatency faultLatency,
  /** nanoseconds from resume to the last page loaded, measured at the destination */
  6: i64 postCopyNanos,
  /** guest operations counted at the destination when the last page was loaded (-1 if the host cannot tell) */
  7: i64 guestOpsAtCompletion,
  8: i64 guestOpsAtResume,
  9: bool verified,
  10: i64 mismatchedPages,
  11: string verificationNote,
  12: i32 destinationDomid,
  /** distinct pages the guest touched here from resume to the last page loaded (-1 if the host cannot tell) */
  13: i64 guestPagesTouched,
  /** reverse checkpoints taken, and the time the guest spent paused for them (ms) */
  14: optional i64 checkpoints,
  15: optional double checkpointPauseMs,
  /** first guest touches of post-copy pages that pre-paging had brought (the paper's minor faults); -1 unknown */
  16: i64 minorFaults = -1,
  /** checkpoints put off because pausing the guest for them would have taken too long */
  17: optional i64 checkpointsDeferred,
  /** how long faulting vCPUs stayed blocked, as the guest lived it (absent: the host cannot tell); faultLatency
      is the pager's side, from the ring to the answer */
  18: optional TLatency vcpuBlockedLatency,
  /** ms from the resume call's arrival to the guest's first instant here (absent: the host cannot tell) */
  19: optional double firstRanMs,
  /** bytes through the sockets of the connections the destination opened (demand, checkpoints), each way */
  20: optional i64 wireBytesToSource,
  21: optional i64 wireBytesToDestination,
  /** the pager's waits split by what brought the page: a fetch's reply, or the push (absent: not counted) */
  22: optional TPagerWaits pagerWaitsByFetch,
  23: optional TPagerWaits pagerWaitsByPush,
  /** and the requests whose page was already here when they left the ring (absent: not counted) */
  24: optional TPagerWaits pagerWaitsAlreadyHere,
}

/** The destination's side of a post-copy session, as a heartbeat reports it. */
struct TLinkState {
  /** the destination's phase: RUNNING, PAUSED, RECOVERING, COMPLETED, LOST, ... */
  1: string phase,
  2: i64 pagesSettled,
  3: i64 pagesExpected,
  /** guest operations at the destination now (-1 if the host cannot tell) */
  4: optional i64 guestOps,
}

struct TReconnectReply {
  /** the gfns the destination still waits for (bitmap as in TPrepare): the source sends each of them again */
  1: binary missing,
  2: string phase,
  /** post-copy pages loaded (or given back by the guest) so far */
  3: i64 pagesSettled,
  /** every page taken in the session, pre-copy ones included (a restarted source's books start here) */
  4: i64 pagesReceived,
}

service MigrationReceiver {
  TPrepareReply prepare(1: TPrepare request) throws (1: TMigrationError error),
  TResumeReply resume(1: TResume request) throws (1: TMigrationError error),
  oneway void pushPages(1: string sessionId, 2: TPages pages),
  /** The source has sent every page; waits until all are loaded, verifies if asked, and reports. */
  TCompletion complete(1: string sessionId, 2: i64 pagesSent, 3: bool verify, 4: i32 timeoutMs,
      /** memory/target (KiB) to give the guest back once done, after self-ballooning shrank it; 0 = leave it */
      5: i64 restoreTargetKiB,
      /** pages sent more than once because a recovery found them missing (not all of them were: some arrive twice) */
      6: i64 pagesResent) throws (1: TMigrationError error),
  /**
   * Liveness and the destination's view, on the source's heartbeat connection (its own, so a long complete()
   * on the control connection never delays one). Also tells the destination that the source is alive.
   */
  TLinkState heartbeat(1: string sessionId) throws (1: TMigrationError error),
  /**
   * The first call of a recovery, on fresh connections after a cut: the destination stops its demand channel and
   * answers which pages it still misses; the source un-sends those (they may have been lost in flight).
   */
  TReconnectReply reconnect(1: string sessionId,
      /** where the demand connection reaches the source from now on (a restarted daemon may listen elsewhere) */
      2: string sourceHost, 3: i32 sourcePort) throws (1: TMigrationError error),
  /** The second: the destination reopens its demand channel and asks again for every fault still waiting. */
  void recovered(1: string sessionId) throws (1: TMigrationError error),
  /** Gives up a session: the destination domain is destroyed (only before resume; after it the guest lives here). */
  void abort(1: string sessionId, 2: string reason) throws (1: TMigrationError error),
  /**
   * After a fail-back: the source runs the guest again from its copy and last checkpoint, so the destination's copy
   * (paused by then: its lease ran out, or its restarted daemon holds it) is destroyed.
   */
  void takenBack(1: string sessionId, 2: string reason) throws (1: TMigrationError error),
  /**
   * After the completion, once the source destroyed its copy: the guest is the destination's alone and runs on no
   * lease (until this arrives, or a ping's answer says so, the destination keeps the lease going).
   */
  void released(1: string sessionId) throws (1: TMigrationError error),
}

/** The source's demand service (named apart from the engine's PageServer class, which it is served by). */
service SourcePages {
  TFetchReply fetch(1: string sessionId, 2: binary gfns) throws (1: TMigrationError error),
  /** Pages of reverse checkpoint seq (a new seq drops an older one not committed). */
  void checkpointPages(1: string sessionId, 2: i64 seq, 3: TPages pages) throws (1: TMigrationError error),
  /** Commits checkpoint seq: from now on a fail-back restores the guest to it. */
  void checkpointCommit(1: string sessionId, 2: TCheckpoint checkpoint) throws (1: TMigrationError error),
  /**
   * What became of the session, asked by a destination daemon that restarted holding paused a guest its
   * predecessor ran on this session's lease: true once the source released the guest to it; error TAKEN_BACK if
   * the source runs the guest again; false otherwise. Unlike a ping it grants no lease: a holder that does not run
   * the guest must not keep the source from taking it back.
   */
  bool hasReleased(1: string sessionId) throws (1: TMigrationError error),
}

/* ---- host control: what the xlpc command line asks of a daemon ------------------------------------------- */

struct TDomainInfo {
  1: i32 id,
  2: string name,
  /** populated memory now, KiB */
  3: i64 memoryKiB,
  4: i64 maxMemoryKiB,
  /** running, paused, shutdown, dying */
  5: string state,
  6: i32 vcpus,
  /** the guest program (emulated hosts) */
  7: string guest,
  /** the outgoing migration moving this domain, as "phase (id)"; absent if none */
  8: optional string migration,
  /** the domain's configured memory, KiB: what a destination must have free to take it (absent: unknown) */
  9: optional i64 sizeKiB,
}

struct TMigrateRequest {
  /** name or numeric id */
  1: string domain,
  2: string destinationHost,
  3: i32 destinationPort,
  4: string mode,
  5: string prepaging,
  6: bool dsb,
  7: i64 linkMbps,
  8: i32 linkLatencyMs,
  9: bool verify,
  10: i32 precopyRounds,
  11: i64 baselineMs,
  /** post-copy: silence after which the link counts as cut (absent: 5000) */
  12: optional i32 stallMs,
  /** post-copy: how long the source keeps reconnecting after a cut before it fails (absent: 600000) */
  13: optional i64 giveUpMs,
  /** post-copy: reverse checkpoint interval (absent: 1000; 0 = none) */
  14: optional i32 checkpointMs,
  /** post-copy with checkpoints: the destination's lease, after which a silent destination's guest comes back (absent: stallMs) */
  15: optional i32 failBackMs,
  /**
   * one of a group of migrations that take turns at the source's link (an evacuation's): the group's name; with it,
   * turnPlaces (how many of the group send at once) and turnRank (the order in which those waiting, ready, go)
   */
  16: optional string turnGroup,
  17: optional i32 turnPlaces,
  18: optional i32 turnRank,
}

struct TMigrationStatus {
  1: string phase,
  2: i64 pagesDone,
  3: i64 pagesTotal,
  4: i64 networkFaults,
  5: bool finished,
  /** the report (MigrationReport JSON) once finished without error */
  6: optional string reportJson,
  /** one sentence, if it failed */
  7: optional string error,
}

/** what one page-out run did (see org.xenpostcopy.migration.pager.PageOutResult) */
struct TPageOutResult {
  1: i64 candidates,
  2: i64 evicted,
  3: i64 busy,
  4: i64 faultsServed,
  5: i64 loadedOnFault,
  6: i64 loadedAtEnd,
  7: i64 foreignRequests,
  8: i64 pageOutMs,
  9: i64 holdMs,
}

service HostControl {
  /** describes this daemon's host in one line ("emulated host 'a'") */
  string describe(1: string token) throws (1: TMigrationError error),
  list<TDomainInfo> listDomains(1: string token) throws (1: TMigrationError error),
  /** memory this host can still give a new domain, KiB (what admission checks a prepare against); -1: cannot tell */
  i64 freeMemoryKiB(1: string token) throws (1: TMigrationError error),
  /** emulated hosts: boots a guest running the given program and unpauses it */
  /** vcpus: 1..8 (0, as from an older client, is 1) */
  TDomainInfo create(1: string token, 2: string name, 3: i64 memoryMiB, 4: string workload, 5: i64 seed,
                     6: i32 vcpus)
      throws (1: TMigrationError error),
  void destroy(1: string token, 2: string domain) throws (1: TMigrationError error),
  /** as xl mem-set: memory/target (and max memory) in one transaction; refused above static-max */
  void memSet(1: string token, 2: string domain, 3: i64 memoryMiB) throws (1: TMigrationError error),
  /** action: start, stop or status; returns a human-readable line */
  string dsb(1: string token, 2: string action, 3: string domain) throws (1: TMigrationError error),
  /**
   * pages `pages` gfns of a running domain out into the daemon, serves its faults for holdMs (at most 60000),
   * then pages everything back in; the paging interface on its own, outside any migration
   */
  TPageOutResult pageOut(1: string token, 2: string domain, 3: i64 pages, 4: i32 holdMs)
      throws (1: TMigrationError error),
  /** starts a migration of one of this host's domains; returns its id */
  string startMigration(1: string token, 2: TMigrateRequest request) throws (1: TMigrationError error),
  /** the migration's status, waiting up to waitMs for it to change or finish */
  TMigrationStatus migrationStatus(1: string token, 2: string id, 3: i32 waitMs) throws (1: TMigrationError error),
  /**
   * a paused migration (its link was cut) reconnects now instead of at the end of its back-off; returns the phase
   * it was in when asked
   */
  string retryMigration(1: string token, 2: string id) throws (1: TMigrationError error),
  /**
   * brings the guest of a migration stuck with it dead or unreachable at the destination back to this host from its
   * last reverse checkpoint (waiting out the destination's lease first); refused (WRONG_STATE, saying why and what to
   * do) unless this host holds the copy and a committed checkpoint and the destination's copy is fenced; returns
   * what was done
   */
  string failBackMigration(1: string token, 2: string id) throws (1: TMigrationError error),
}
