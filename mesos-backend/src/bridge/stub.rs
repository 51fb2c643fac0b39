//! The stand-in backend the bridge process serves until the coarse core and the Mesos client
//! are wired in: it answers `start` with `registered` and otherwise only accepts requests.
//!
//! It exists so the JVM plugin can be tested against a real Spark driver without a Mesos
//! master. The framework id comes from [`FRAMEWORK_ID_KEY`] in the driver's conf, so a test
//! can check that Spark's application id is the framework id.

use crate::bridge::protocol::{Event, Request};
use crate::Error;

/// Conf key that, set to `true`, makes the bridge process serve the stub.
pub const STUB_KEY: &str = "spark.mesos.rs.stub";

/// Conf key naming the framework id the stub reports; defaulted by the caller when absent.
pub const FRAMEWORK_ID_KEY: &str = "spark.mesos.rs.stub.frameworkId";

/// Conf key naming a file the bridge process appends every request to, one JSON line each.
pub const RECORD_KEY: &str = "spark.mesos.rs.stub.record";

/// Where the conversation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AwaitingStart,
    Started,
    Stopped,
}

/// What to do after one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Events to send, in order.
    pub events: Vec<Event>,
    /// Whether the process should exit now.
    pub exit: bool,
}

/// The stub's state: only the phase, since it launches nothing.
#[derive(Debug)]
pub struct Stub {
    phase: Phase,
    default_framework_id: String,
}

impl Stub {
    /// A stub that reports `default_framework_id` unless the conf names one.
    pub fn new(default_framework_id: String) -> Self {
        Self { phase: Phase::AwaitingStart, default_framework_id }
    }

    /// The reply to `request`; requests out of order are errors the caller reports.
    pub fn handle(&mut self, request: &Request) -> Result<Reply, Error> {
        let unexpected = |state| Error::BridgeUnexpected { request: request.kind(), state };
        match (self.phase, request) {
            (Phase::AwaitingStart, Request::Start(start)) => {
                self.phase = Phase::Started;
                let framework_id = start
                    .conf
                    .get(FRAMEWORK_ID_KEY)
                    .cloned()
                    .unwrap_or_else(|| self.default_framework_id.clone());
                Ok(Reply { events: vec![Event::Registered { framework_id }], exit: false })
            }
            (Phase::Started, Request::Start(_)) => Err(unexpected("after start")),
            (_, Request::Stop) => {
                self.phase = Phase::Stopped;
                Ok(Reply { events: Vec::new(), exit: true })
            }
            (Phase::AwaitingStart, _) => Err(unexpected("before start")),
            // It never sends offers, so a `launchTasks` places nothing it must launch.
            (
                Phase::Started,
                Request::RequestTotal(_)
                | Request::Kill(_)
                | Request::ReviveOffers
                | Request::KillTask { .. }
                | Request::LaunchTasks(_),
            ) => Ok(Reply { events: Vec::new(), exit: false }),
            (Phase::Stopped, _) => Err(unexpected("after stop")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::protocol::{Kill, LaunchTasks, Start, PROTOCOL_VERSION};

    fn start(conf: &[(&str, &str)]) -> Request {
        Request::Start(Start {
            version: PROTOCOL_VERSION,
            app_name: "app".into(),
            driver_url: "spark://CoarseGrainedScheduler@127.0.0.1:1".into(),
            user: "u".into(),
            spark_home: None,
            conf: conf.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            executor_env: Vec::new(),
            exec_arg: None,
        })
    }

    #[test]
    fn start_registers_with_the_configured_framework_id() {
        let mut stub = Stub::new("fallback".into());
        let reply = stub.handle(&start(&[(FRAMEWORK_ID_KEY, "fw-7")])).unwrap();
        assert_eq!(reply.events, vec![Event::Registered { framework_id: "fw-7".into() }]);
        assert!(!reply.exit);
        let reply = stub.handle(&Request::Kill(Kill { executor_ids: vec!["1".into()] })).unwrap();
        assert_eq!(reply, Reply { events: Vec::new(), exit: false });
        assert!(stub.handle(&Request::Stop).unwrap().exit);
    }

    #[test]
    fn start_without_the_key_uses_the_default() {
        let mut stub = Stub::new("fallback".into());
        let reply = stub.handle(&start(&[])).unwrap();
        assert_eq!(reply.events, vec![Event::Registered { framework_id: "fallback".into() }]);
    }

    #[test]
    fn fine_requests_are_accepted_and_place_nothing() {
        let mut stub = Stub::new("f".into());
        assert!(stub.handle(&Request::ReviveOffers).is_err());
        stub.handle(&start(&[("spark.mesos.coarse", "false")])).unwrap();
        for request in [
            Request::ReviveOffers,
            Request::KillTask { task_id: 3 },
            Request::LaunchTasks(LaunchTasks { round: 0, tasks: Vec::new() }),
        ] {
            assert_eq!(stub.handle(&request).unwrap(), Reply { events: Vec::new(), exit: false });
        }
        assert!(stub.handle(&Request::Stop).unwrap().exit);
    }

    #[test]
    fn requests_out_of_order_are_errors() {
        let mut stub = Stub::new("f".into());
        let kill = Request::Kill(Kill { executor_ids: Vec::new() });
        assert!(matches!(
            stub.handle(&kill),
            Err(Error::BridgeUnexpected { request: "kill", state: "before start" })
        ));
        stub.handle(&start(&[])).unwrap();
        assert!(stub.handle(&start(&[])).is_err());
    }
}
