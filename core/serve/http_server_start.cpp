// HttpServer::start(ServeParams): the Batcher is started here, in its own file, so that users
// of the other overload (tests with a stand-in Batcher) do not link the paged engine.
#include "core/serve/http_server.h"

namespace tb::serve {

Result<std::unique_ptr<HttpServer>> HttpServer::start(const ServeParams& params,
                                                      const CancelToken* cancel) {
    BatcherParams bp = params.batcher;
    if (cancel) bp.engine.cancel = cancel;
    // Address and limits are checked before the model is loaded (seconds to minutes).
    if (params.port < 0 || params.port > 65535)
        return make_error("--port", "expected 0..65535, got " + std::to_string(params.port));
    if (params.host.empty()) return make_error("--host", "empty");
    TB_ASSIGN_OR_RETURN(std::unique_ptr<Batcher> batcher, Batcher::start(bp));
    return start(std::shared_ptr<Batcher>(std::move(batcher)), params, true);
}

}  // namespace tb::serve
