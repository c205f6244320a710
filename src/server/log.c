#include "log.h"

void cz_log_request(const cz_req *req, double seconds)
{
	cz_buf line;
	const cz_target *t = &req->target;

	cz_log_begin(&line, "info");
	cz_buf_printf(&line, " msg=request id=%llu", (unsigned long long)req->id);
	cz_log_field(&line, "user", req->user ? req->user->name : "");
	cz_log_field(&line, "verb",
		     t->verb ? t->verb : req->method ? req->method : "");
	cz_log_field(&line, "resource", t->res ? t->res->resource : req->path);
	if (t->sub)
		cz_log_field(&line, "subresource", t->sub);
	if (t->ns)
		cz_log_field(&line, "namespace", t->ns);
	if (t->name)
		cz_log_field(&line, "name", t->name);
	cz_buf_printf(&line, " code=%d duration_ms=%.3f", req->code,
		      seconds * 1000.0);
	cz_log_end(&line);
}
