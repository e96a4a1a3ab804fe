//! List files from disk for the compiler: a list's `source:` relative to the policy file, or
//! the file given with `--list NAME=FILE` in its place (a daily list update without a policy
//! edit).

use cipgate_policy::ListFiles;
use std::path::{Path, PathBuf};

/// `--list NAME=FILE`: the entries of the policy's list NAME come from FILE.
#[derive(Debug, Clone)]
pub struct ListArg {
    pub list: String,
    pub file: PathBuf,
}

pub fn parse_list_arg(text: &str) -> Result<ListArg, String> {
    match text.split_once('=') {
        Some((list, file)) if !list.is_empty() && !file.is_empty() => Ok(ListArg {
            list: list.to_string(),
            file: PathBuf::from(file),
        }),
        _ => Err(format!(
            "`{text}` is not NAME=FILE (the policy's list name, then the list file)"
        )),
    }
}

pub struct DiskListFiles<'a> {
    /// The policy file's folder, which `source:` paths are relative to.
    pub policy_dir: PathBuf,
    pub replacements: &'a [ListArg],
}

impl ListFiles for DiskListFiles<'_> {
    fn locate(&self, list: &str, source: Option<&str>) -> Option<String> {
        match self.replacements.iter().rev().find(|r| r.list == list) {
            Some(r) => Some(r.file.display().to_string()),
            None => source.map(|s| self.policy_dir.join(s).display().to_string()),
        }
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        std::fs::read(path).map_err(|e| format!("cannot read the list file {path}: {e}"))
    }

    fn sibling(&self, path: &str, name: &str) -> Option<Vec<u8>> {
        std::fs::read(Path::new(path).with_file_name(name)).ok()
    }
}
