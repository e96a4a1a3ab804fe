//! Embeds the compiled policy in the module (`CIPGATE_COMPILED_POLICY`, else the default
//! policy); see the `cipgate-embed` crate.

fn main() {
    if let Err(why) = cipgate_embed::embed_compiled_policy() {
        eprintln!("error: {why}");
        std::process::exit(1);
    }
}
