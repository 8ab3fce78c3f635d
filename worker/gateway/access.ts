// Who may do what. Roles come from config: Slack user ids, and user groups
// whose members are read from Slack and kept in memory (refreshed in the
// background), so a listener never waits for Slack before it acks.
import type { WebClient } from '@slack/web-api';
import type { Logger as Pino } from 'pino';
import { z } from 'zod';
import type { Config, Role } from '../config.ts';

export const ANY_ROLE: Role[] = ['viewer', 'responder', 'chaos-operator', 'approver'];

/** What each kind of request needs: any one of these roles. */
export const NEEDS = {
  view: ANY_ROLE,
  run: ['responder'],
  faults: ['chaos-operator'],
} satisfies Record<string, Role[]>;

export type Permission = keyof typeof NEEDS;

const membersSchema = z.object({ users: z.array(z.string()) });

export class Access {
  private readonly members = new Map<string, Set<string>>();
  private readonly users: Record<string, Role[]>;
  private readonly groups: Record<string, Role[]>;
  private timer: NodeJS.Timeout | undefined;

  constructor(access: Pick<Config['access'], 'users' | 'groups'>) {
    this.users = access.users;
    this.groups = access.groups;
  }

  roles(userId: string): Role[] {
    const roles = new Set<Role>(this.users[userId] ?? []);
    for (const [group, groupRoles] of Object.entries(this.groups)) {
      if (this.members.get(group)?.has(userId)) for (const role of groupRoles) roles.add(role);
    }
    return [...roles];
  }

  allows(userId: string, permission: Permission): boolean {
    const needed: Role[] = NEEDS[permission];
    return this.roles(userId).some((role) => needed.includes(role));
  }

  /** Read every configured group's members now and every `everyMs` after. */
  async watchGroups(client: WebClient, log: Pino, everyMs = 5 * 60_000): Promise<void> {
    const refresh = async () => {
      for (const group of Object.keys(this.groups)) {
        try {
          const parsed = membersSchema.safeParse(await client.usergroups.users.list({ usergroup: group }));
          if (parsed.success) this.members.set(group, new Set(parsed.data.users));
        } catch (err) {
          log.warn(
            { group, err: err instanceof Error ? err.message : String(err) },
            'could not read user group members; keeping the last known',
          );
        }
      }
    };
    if (Object.keys(this.groups).length === 0) return;
    await refresh();
    this.timer = setInterval(() => void refresh(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/**
 * Who a local CLI user is to nightshift: the Slack user config maps them to
 * (access.cli), or `cli:<name>`; with the roles access config gives that id
 * (users only: group membership needs Slack). Never a flag's word.
 */
export function cliIdentity(
  access: Pick<Config['access'], 'users' | 'cli'>,
  localUser: string,
): { id: string; name: string; via: 'cli'; roles: Role[]; mapped: boolean } {
  const mapped = Object.hasOwn(access.cli, localUser) ? access.cli[localUser] : undefined;
  const id = mapped ?? `cli:${localUser}`;
  return {
    id,
    name: localUser,
    via: 'cli',
    roles: new Access({ users: access.users, groups: {} }).roles(id),
    mapped: !!mapped,
  };
}
