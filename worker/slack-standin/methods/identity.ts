// auth.test, users.info and usergroups.users.list.
import { z } from 'zod';
import { BOT, TEAM } from '../workspace.ts';
import { ApiError, method } from './common.ts';

export const identityMethods = {
  'auth.test': method(z.object({}).loose(), (_args, ctx) => ({
    url: `${ctx.baseUrl}/`,
    team: 'nightshift stand-in',
    user: BOT.name,
    team_id: TEAM.id,
    user_id: BOT.userId,
    bot_id: BOT.botId,
  })),
  'users.info': method(z.object({ user: z.string().min(1) }), (args, ctx) => {
    const person = ctx.ws.person(args.user);
    if (!person) throw new ApiError('user_not_found');
    return {
      user: {
        id: person.id,
        team_id: TEAM.id,
        name: person.name,
        real_name: person.realName,
        profile: { display_name: person.name, real_name: person.realName },
      },
    };
  }),
  'usergroups.users.list': method(z.object({ usergroup: z.string().min(1) }), (args, ctx) => {
    const users = ctx.ws.groups[args.usergroup];
    if (!users) throw new ApiError('no_such_subteam');
    return { users };
  }),
};
