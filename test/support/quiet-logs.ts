// Handlers log through Powertools Logger; keep test output readable unless a run asks for logs.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
