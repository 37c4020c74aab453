// How many frames a stack trace keeps inside the workflow sandbox (the V8 context the worker runs every
// workflow in). Loaded once per context, before the SDK freezes the sandbox's globals (worker/workers.ts,
// sharedWorkflowModules); it exports nothing.
//
// Why (#19): for the UI's Stack Trace tab, the SDK records a source-mapped stack trace for every promise
// workflow code creates, and that cost grows with the frames kept (V8's default: 10). Most of those frames
// are the SDK's own (condition, cancellation scopes); each of Overdue's async functions creates a promise
// of its own, so the tab still shows every level of Overdue's code the run waits in (test:
// test/integration/workflow/temporal-ui.test.ts). Five frames took about a tenth off the workflow
// thread's CPU per loan on the engine path (README, Benchmarks). An error thrown in workflow code also
// keeps five frames.
Error.stackTraceLimit = 5;

export {};
