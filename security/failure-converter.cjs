// The failure converter of every Runway client, worker and workflow sandbox: a failure's message
// and stack trace move into its encoded attributes, which the payload codec encrypts like any
// other payload (R-SECRETS). CommonJS because the SDK loads it by path twice: with require() in the
// worker and client processes, and through the bundler into the workflow sandbox.
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
