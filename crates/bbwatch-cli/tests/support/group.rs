//! A child process in a group of its own, killed with its whole group when the test ends,
//! however it ends (a shell recipe's children included).

use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command};

/// A child killed with its process group on drop.
pub struct Group(pub Child);

impl Group {
    /// Spawn `command` as the leader of a new process group.
    pub fn spawn(mut command: Command) -> Group {
        command.process_group(0);
        Group(command.spawn().unwrap())
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}
