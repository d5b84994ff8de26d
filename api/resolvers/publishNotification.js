// Mutation.publishNotification (APPSYNC_JS, NONE data source; the schema allows @aws_iam only).
// Returns its input unchanged, which is what AppSync fans out to onNotification subscribers.
export function request(ctx) {
  return { payload: ctx.args.input };
}

export function response(ctx) {
  return ctx.result;
}
