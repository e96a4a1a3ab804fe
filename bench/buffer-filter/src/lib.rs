//! The benchmark's floor: a proxy-wasm HTTP filter that does what every body-inspecting Wasm
//! filter must do and nothing else. It holds the request headers (a real StopIteration, as
//! cipgate does with `allow_on_headers_stop_iteration: true`), lets Envoy buffer the body until
//! the end of the stream, then continues. No body copy into the VM, no decision, no logs.

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Warn);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root) });
}}

struct Root;

impl Context for Root {}

impl RootContext for Root {
    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(HoldUntilComplete))
    }
}

struct HoldUntilComplete;

impl Context for HoldUntilComplete {}

impl HttpContext for HoldUntilComplete {
    fn on_http_request_headers(&mut self, _headers: usize, end_of_stream: bool) -> Action {
        if end_of_stream {
            Action::Continue
        } else {
            Action::Pause
        }
    }

    fn on_http_request_body(&mut self, _body_size: usize, end_of_stream: bool) -> Action {
        if end_of_stream {
            Action::Continue
        } else {
            Action::Pause
        }
    }

    fn on_http_request_trailers(&mut self, _trailers: usize) -> Action {
        Action::Continue
    }
}
