//! `bench-relink RUNTIME MODULE OUT`: writes MODULE's policy image into RUNTIME (a runtime
//! build the CLI does not carry, such as the filter with its `profile` feature), so that the
//! benchmark runs it with exactly the policy `cipgate build` placed in MODULE.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [runtime, module, out] = args.as_slice() else {
        eprintln!("usage: bench-relink RUNTIME MODULE OUT");
        return ExitCode::from(2);
    };
    match relink(runtime, module, out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("bench-relink: {why}");
            ExitCode::FAILURE
        }
    }
}

fn relink(runtime: &str, module: &str, out: &str) -> Result<(), String> {
    let read = |path: &str| std::fs::read(path).map_err(|e| format!("{path}: {e}"));
    let module = read(module)?;
    let image = cipgate_link::read_image(&module).map_err(|e| e.to_string())?;
    let linked = cipgate_link::place_image(&read(runtime)?, image).map_err(|e| e.to_string())?;
    std::fs::write(out, linked).map_err(|e| format!("{out}: {e}"))
}
