/**
 * Hosts' allocatable and booked resources, and a grid over their free capacity that hands out
 * candidate hosts fullest first without looking at every host. Mutable; owned by one
 * ClusterState (see snapshot.ts for why that is safe).
 *
 * The grid: a host whose free memory is a fraction fm of its allocatable memory and whose free
 * CPU is a fraction fc sits in cell (a, b) = (floor(L·√fm), floor(L·√fc)), L = `levels`.
 * Cells are visited by diagonal (a + b ascending), so nearly full hosts come first, and a
 * request skips the rows and columns too small for it. The square root makes cells narrow
 * where hosts crowd — nearly full — so the cell on the edge of what a request needs holds few
 * hosts that turn out too small; with even steps, every full host of a large cluster would
 * share the bottom row and be walked by every small request. Each cell also keeps an upper
 * bound of its hosts' free resources (raised on insert, made exact whenever a scan walks the
 * whole cell), so a cell that cannot fit a request costs one comparison.
 * Hosts that take no placements (down, draining, cordoned) are not in the grid.
 */
export class CapacityIndex {
  /** Allocatable = declared capacity × overcommit, floored. */
  readonly capMem: Float64Array;
  readonly capCpu: Float64Array;
  readonly capPids: Float64Array;
  readonly usedMem: Float64Array;
  readonly usedCpu: Float64Array;
  readonly usedPids: Float64Array;
  /** Largest and smallest (non-zero) allocatable memory and CPU of any host; set by the owner before insert(). */
  maxCapMem = 0;
  maxCapCpu = 0;
  minCapMem = Infinity;
  minCapCpu = Infinity;

  private readonly side: number;
  private readonly cellOf: Int32Array;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly head: Int32Array;
  /** Per diagonal d, a bit per row a whose cell (a, d − a) holds hosts: scans skip empty cells a word at a time. */
  private readonly occupied: Uint32Array;
  private readonly words: number;
  /** Occupied cells per diagonal, and a bit per diagonal that has any, to jump over empty diagonals. */
  private readonly cellsOnDiagonal: Int32Array;
  private readonly diagonalBits: Uint32Array;
  private readonly boundMem: Float64Array;
  private readonly boundCpu: Float64Array;
  private readonly boundPids: Float64Array;

  constructor(
    readonly hostCount: number,
    readonly levels: number,
  ) {
    this.capMem = new Float64Array(hostCount);
    this.capCpu = new Float64Array(hostCount);
    this.capPids = new Float64Array(hostCount);
    this.usedMem = new Float64Array(hostCount);
    this.usedCpu = new Float64Array(hostCount);
    this.usedPids = new Float64Array(hostCount);
    this.side = levels + 1;
    const cells = this.side * this.side;
    this.cellOf = new Int32Array(hostCount).fill(-1);
    this.next = new Int32Array(hostCount).fill(-1);
    this.prev = new Int32Array(hostCount).fill(-1);
    this.head = new Int32Array(cells).fill(-1);
    this.words = Math.ceil(this.side / 32);
    this.occupied = new Uint32Array((2 * levels + 1) * this.words);
    this.cellsOnDiagonal = new Int32Array(2 * levels + 1);
    this.diagonalBits = new Uint32Array(Math.ceil((2 * levels + 1) / 32));
    this.boundMem = new Float64Array(cells);
    this.boundCpu = new Float64Array(cells);
    this.boundPids = new Float64Array(cells);
  }

  freeMem(h: number): number {
    return this.capMem[h] - this.usedMem[h];
  }
  freeCpu(h: number): number {
    return this.capCpu[h] - this.usedCpu[h];
  }
  freePids(h: number): number {
    return this.capPids[h] - this.usedPids[h];
  }

  isIndexed(h: number): boolean {
    return this.cellOf[h] !== -1;
  }

  /** Puts a host in the grid (it takes placements). */
  insert(h: number): void {
    const c = this.cellFor(h);
    const first = this.head[c];
    this.prev[h] = -1;
    this.next[h] = first;
    if (first !== -1) this.prev[first] = h;
    else this.mark(c, true);
    this.head[c] = h;
    this.cellOf[h] = c;
    const fm = this.freeMem(h);
    const fc = this.freeCpu(h);
    const fp = this.freePids(h);
    if (fm > this.boundMem[c]) this.boundMem[c] = fm;
    if (fc > this.boundCpu[c]) this.boundCpu[c] = fc;
    if (fp > this.boundPids[c]) this.boundPids[c] = fp;
  }

  /** Takes a host out of the grid (it takes no placements). */
  remove(h: number): void {
    const c = this.cellOf[h];
    if (c === -1) return;
    const p = this.prev[h];
    const n = this.next[h];
    if (p === -1) this.head[c] = n;
    else this.next[p] = n;
    if (n !== -1) this.prev[n] = p;
    if (this.head[c] === -1) this.mark(c, false);
    this.cellOf[h] = -1;
  }

  /** Books (or, with negative amounts, releases) resources on a host and moves it in the grid. */
  add(h: number, memoryMb: number, cpuMillis: number, pidsLimit: number): void {
    const indexed = this.isIndexed(h);
    if (indexed) this.remove(h);
    this.usedMem[h] += memoryMb;
    this.usedCpu[h] += cpuMillis;
    this.usedPids[h] += pidsLimit;
    if (indexed) this.insert(h);
  }

  /**
   * The last diagonal that can hold a host whose free memory and CPU fractions add up to at
   * most `freeSum`: a host in cell (a, b) has fm + fc ≥ (a² + b²) / L² ≥ (a + b)² / 2L².
   */
  lastDiagonalWithin(freeSum: number): number {
    return freeSum < 0 ? -1 : Math.floor(this.levels * Math.sqrt(2 * freeSum) + 1e-9);
  }

  /**
   * Calls `visitor.visit(h, diagonal)` for indexed hosts that may fit the request, nearly full
   * ones first, until the visitor sets `done` or the scan passes `visitor.horizon` (a diagonal
   * the visitor may lower as it goes). Hosts are not checked exactly here: the visitor's
   * filters decide.
   */
  scan(memoryMb: number, cpuMillis: number, pidsLimit: number, visitor: ScanVisitor): void {
    const L = this.levels;
    const side = this.side;
    // Rows and columns below these cannot fit the request even on the largest host: a host in
    // row a has fm < ((a + 1) / L)².
    const lowA = this.lowest(memoryMb, this.maxCapMem);
    const lowB = this.lowest(cpuMillis, this.maxCapCpu);
    if (lowA > L || lowB > L) return;
    const { head, next, boundMem, boundCpu, boundPids, occupied, words, capMem, capCpu, capPids, usedMem, usedCpu, usedPids } = this;
    for (let d = this.nextDiagonal(lowA + lowB); d !== -1 && d <= visitor.horizon; d = this.nextDiagonal(d + 1)) {
      const aStart = Math.max(lowA, d - L);
      const aEnd = Math.min(L, d - lowB);
      for (let w = aStart >>> 5; w <= aEnd >>> 5; w++) {
        const first = w << 5;
        let bits = occupied[d * words + w];
        // Keep rows aStart..aEnd of this word.
        if (aStart > first) bits &= ~0 << (aStart - first);
        if (aEnd < first + 31) bits &= ~0 >>> (31 - (aEnd - first));
        while (bits !== 0) {
          const low = bits & -bits;
          bits ^= low;
          const a = first + 31 - Math.clz32(low);
          const c = a * side + (d - a);
          if (boundMem[c] < memoryMb || boundCpu[c] < cpuMillis || boundPids[c] < pidsLimit) continue;
          let maxMem = 0;
          let maxCpu = 0;
          let maxPids = 0;
          for (let h = head[c]; h !== -1; h = next[h]) {
            visitor.visit(h, d);
            if (visitor.done) return;
            const fm = capMem[h] - usedMem[h];
            const fc = capCpu[h] - usedCpu[h];
            const fp = capPids[h] - usedPids[h];
            if (fm > maxMem) maxMem = fm;
            if (fc > maxCpu) maxCpu = fc;
            if (fp > maxPids) maxPids = fp;
          }
          // The whole cell was walked: its bounds can be made exact.
          boundMem[c] = maxMem;
          boundCpu[c] = maxCpu;
          boundPids[c] = maxPids;
        }
      }
    }
  }

  /** The lowest row (or column) that can hold `amount` free on a host with `largest` allocatable; levels + 1 if none. */
  private lowest(amount: number, largest: number): number {
    if (amount <= 0) return 0;
    if (largest <= 0) return this.levels + 1;
    return Math.min(this.levels, Math.floor(this.levels * Math.sqrt(amount / largest)));
  }

  private cellFor(h: number): number {
    return this.level(this.freeMem(h), this.capMem[h]) * this.side + this.level(this.freeCpu(h), this.capCpu[h]);
  }

  private level(free: number, capacity: number): number {
    if (capacity <= 0 || free <= 0) return 0;
    const l = Math.floor(this.levels * Math.sqrt(free / capacity));
    return l > this.levels ? this.levels : l;
  }

  /** The first diagonal from `d` on with an occupied cell, or -1. */
  private nextDiagonal(d: number): number {
    const bits = this.diagonalBits;
    let w = d >>> 5;
    if (w >= bits.length) return -1;
    let word = bits[w] & (~0 << (d & 31));
    while (word === 0) {
      if (++w >= bits.length) return -1;
      word = bits[w];
    }
    return (w << 5) + 31 - Math.clz32(word & -word);
  }

  private mark(c: number, occupied: boolean): void {
    const a = Math.floor(c / this.side);
    const d = a + (c % this.side);
    const at = d * this.words + (a >>> 5);
    const bit = 1 << (a & 31);
    this.occupied[at] = occupied ? this.occupied[at] | bit : this.occupied[at] & ~bit;
    const count = (this.cellsOnDiagonal[d] += occupied ? 1 : -1);
    const dBit = 1 << (d & 31);
    if (count === 0) this.diagonalBits[d >>> 5] &= ~dBit;
    else this.diagonalBits[d >>> 5] |= dBit;
  }
}

export interface ScanVisitor {
  /** Last diagonal worth scanning; the visitor lowers it once it has a candidate. */
  horizon: number;
  /** Set to stop the scan at once. */
  done: boolean;
  visit(h: number, diagonal: number): void;
}
