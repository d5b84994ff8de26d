// Subscription.onNotification (APPSYNC_JS, NONE data source).
// A subscriber receives only their own notifications: the recipientId argument must be
// the caller's own Cognito identity, and the server-side filter pins delivery to that
// identity as well, so a forged argument can never widen what is delivered.
import { util, extensions } from '@aws-appsync/utils';

export function request(ctx) {
  return { payload: null };
}

export function response(ctx) {
  const sub = ctx.identity && ctx.identity.sub;
  if (!sub || sub !== ctx.args.recipientId) {
    util.unauthorized();
  }
  extensions.setSubscriptionFilter(util.transform.toSubscriptionFilter({ recipientId: { eq: sub } }));
  return null;
}
