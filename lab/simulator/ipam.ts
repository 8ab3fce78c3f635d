// Pod IP allocation within one node's /24: next free address after the last
// one handed out, so a deleted pod's IP is not reused at once (stale DNS
// answers and connections then fail loudly instead of reaching a new pod).
export class Ipam {
  private readonly prefix: string;
  private readonly used = new Set<number>();
  private next = 2;

  /** `cidr` is an a.b.c.0/24; .1 is the node bridge. */
  constructor(cidr: string) {
    const match = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(cidr);
    if (!match?.[1]) throw new Error(`pod CIDR ${cidr}: only a.b.c.0/24 is supported`);
    this.prefix = match[1];
  }

  allocate(): string {
    for (let tries = 0; tries < 253; tries++) {
      const host = this.next;
      this.next = this.next >= 254 ? 2 : this.next + 1;
      if (!this.used.has(host)) {
        this.used.add(host);
        return `${this.prefix}.${host}`;
      }
    }
    throw new Error(`no free pod IP left in ${this.prefix}.0/24`);
  }

  /** Mark an address in use (a pod found running at start). */
  claim(ip: string): void {
    const host = this.hostPart(ip);
    if (host !== undefined) this.used.add(host);
  }

  release(ip: string): void {
    const host = this.hostPart(ip);
    if (host !== undefined) this.used.delete(host);
  }

  private hostPart(ip: string): number | undefined {
    if (!ip.startsWith(`${this.prefix}.`)) return undefined;
    return Number(ip.slice(this.prefix.length + 1));
  }
}
