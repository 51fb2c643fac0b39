//! Events of the SUBSCRIBE stream as a Rust enum: a decoded [`scheduler::Event`] is checked
//! once here (type known, body present), so the scheduler core matches on [`Event`] and never
//! on optional fields.

use std::time::Duration;

use prost::Message as _;

use crate::error::{Error, Result};
use crate::json::ContentType;
use crate::proto::scheduler::{self, event::Type};
use crate::proto::{
    AgentId, ExecutorId, FrameworkId, InverseOffer, MasterInfo, Offer, OfferId, TaskStatus,
};

/// One event from the master.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The subscription is accepted.
    Subscribed(Subscribed),
    /// New offers.
    Offers(Vec<Offer>),
    /// An offer is withdrawn; using it now fails.
    Rescind(OfferId),
    /// A task status update; ACKNOWLEDGE it if it has a uuid (see [`crate::call::acknowledge`]).
    Update(TaskStatus),
    /// Data from an executor.
    Message {
        /// The agent.
        agent_id: AgentId,
        /// The executor.
        executor_id: ExecutorId,
        /// The data.
        data: Vec<u8>,
    },
    /// An agent is gone (no executor) or an executor exited (with its status).
    Failure {
        /// The agent.
        agent_id: Option<AgentId>,
        /// The executor, if it was one.
        executor_id: Option<ExecutorId>,
        /// The executor's exit status.
        status: Option<i32>,
    },
    /// The master refuses the subscription; the framework should abort.
    Error(String),
    /// The master is alive.
    Heartbeat,
    /// Inverse offers (maintenance), carried as they came.
    InverseOffers(Vec<InverseOffer>),
    /// An inverse offer is withdrawn.
    RescindInverseOffer(OfferId),
    /// An operation status update (Mesos 1.5+); its body is not modelled here.
    UpdateOperationStatus,
}

/// The body of SUBSCRIBED.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscribed {
    /// The framework's id: new, or the one re-subscribed with.
    pub framework_id: FrameworkId,
    /// How often the master promises a HEARTBEAT, if it said.
    pub heartbeat_interval: Option<Duration>,
    /// The leading master.
    pub master_info: Option<MasterInfo>,
}

impl Event {
    /// Decodes one protobuf record of the stream.
    pub fn decode(record: &[u8]) -> Result<Self> {
        Self::try_from(scheduler::Event::decode(record)?)
    }

    /// Decodes one record of the stream in the stream's content type.
    pub fn from_record(content_type: ContentType, record: &[u8]) -> Result<Self> {
        Self::try_from(content_type.decode::<scheduler::Event>(record)?)
    }
}

impl TryFrom<scheduler::Event> for Event {
    type Error = Error;

    fn try_from(event: scheduler::Event) -> Result<Self> {
        let raw = event.r#type.ok_or(Error::EventTypeMissing)?;
        let kind = Type::try_from(raw).map_err(|_| Error::EventTypeUnknown { value: raw })?;
        let missing = || Error::EventBodyMissing { event: kind.as_str_name() };
        Ok(match kind {
            Type::Unknown => return Err(Error::EventTypeUnknown { value: raw }),
            Type::Subscribed => {
                let s = event.subscribed.ok_or_else(missing)?;
                let heartbeat_interval = s
                    .heartbeat_interval_seconds
                    .map(|seconds| {
                        Duration::try_from_secs_f64(seconds)
                            .map_err(|_| Error::HeartbeatInterval { seconds })
                    })
                    .transpose()?;
                Self::Subscribed(Subscribed {
                    framework_id: s.framework_id,
                    heartbeat_interval,
                    master_info: s.master_info,
                })
            }
            Type::Offers => Self::Offers(event.offers.ok_or_else(missing)?.offers),
            Type::Rescind => Self::Rescind(event.rescind.ok_or_else(missing)?.offer_id),
            Type::Update => Self::Update(event.update.ok_or_else(missing)?.status),
            Type::Message => {
                let m = event.message.ok_or_else(missing)?;
                Self::Message { agent_id: m.agent_id, executor_id: m.executor_id, data: m.data }
            }
            Type::Failure => {
                let f = event.failure.ok_or_else(missing)?;
                Self::Failure { agent_id: f.agent_id, executor_id: f.executor_id, status: f.status }
            }
            Type::Error => Self::Error(event.error.ok_or_else(missing)?.message),
            Type::Heartbeat => Self::Heartbeat,
            Type::InverseOffers => {
                Self::InverseOffers(event.inverse_offers.ok_or_else(missing)?.inverse_offers)
            }
            Type::RescindInverseOffer => Self::RescindInverseOffer(
                event.rescind_inverse_offer.ok_or_else(missing)?.inverse_offer_id,
            ),
            Type::UpdateOperationStatus => Self::UpdateOperationStatus,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::scheduler::event;
    use crate::proto::TaskState;

    fn raw(kind: Type) -> scheduler::Event {
        scheduler::Event { r#type: Some(kind as i32), ..Default::default() }
    }

    #[test]
    fn subscribed_carries_id_interval_and_master() {
        let e = scheduler::Event {
            subscribed: Some(event::Subscribed {
                framework_id: "fw".into(),
                heartbeat_interval_seconds: Some(15.0),
                master_info: None,
            }),
            ..raw(Type::Subscribed)
        };
        let got = Event::decode(&e.encode_to_vec()).unwrap();
        assert_eq!(
            got,
            Event::Subscribed(Subscribed {
                framework_id: "fw".into(),
                heartbeat_interval: Some(Duration::from_secs(15)),
                master_info: None,
            })
        );
    }

    #[test]
    fn bad_heartbeat_intervals_are_errors() {
        for seconds in [-1.0, f64::NAN, f64::INFINITY, 1e300] {
            let e = scheduler::Event {
                subscribed: Some(event::Subscribed {
                    framework_id: "fw".into(),
                    heartbeat_interval_seconds: Some(seconds),
                    master_info: None,
                }),
                ..raw(Type::Subscribed)
            };
            assert!(
                matches!(Event::try_from(e), Err(Error::HeartbeatInterval { .. })),
                "{seconds}"
            );
        }
    }

    #[test]
    fn update_and_heartbeat() {
        let status = TaskStatus {
            task_id: "t".into(),
            state: TaskState::TaskRunning as i32,
            ..Default::default()
        };
        let e = scheduler::Event {
            update: Some(event::Update { status: status.clone() }),
            ..raw(Type::Update)
        };
        assert_eq!(Event::try_from(e).unwrap(), Event::Update(status));
        assert_eq!(Event::try_from(raw(Type::Heartbeat)).unwrap(), Event::Heartbeat);
    }

    #[test]
    fn every_type_with_a_body_refuses_a_missing_one() {
        for kind in [
            Type::Subscribed,
            Type::Offers,
            Type::Rescind,
            Type::Update,
            Type::Message,
            Type::Failure,
            Type::Error,
            Type::InverseOffers,
            Type::RescindInverseOffer,
        ] {
            match Event::try_from(raw(kind)) {
                Err(Error::EventBodyMissing { event }) => assert_eq!(event, kind.as_str_name()),
                other => panic!("{kind:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn missing_and_unknown_types_are_errors() {
        let none = scheduler::Event::default();
        assert!(matches!(Event::try_from(none), Err(Error::EventTypeMissing)));
        let zero = raw(Type::Unknown);
        assert!(matches!(Event::try_from(zero), Err(Error::EventTypeUnknown { value: 0 })));
        let future = scheduler::Event { r#type: Some(99), ..Default::default() };
        assert!(matches!(Event::try_from(future), Err(Error::EventTypeUnknown { value: 99 })));
    }

    #[test]
    fn a_json_stream_in_odd_chunks_becomes_typed_events() {
        use crate::recordio::{self, RecordDecoder};
        let mut stream = bytes::BytesMut::new();
        for record in [
            r#"{"type":"SUBSCRIBED","subscribed":{"framework_id":{"value":"fw"}}}"#,
            r#"{"type":"HEARTBEAT"}"#,
            r#"{"type":"RESCIND","rescind":{"offer_id":{"value":"o1"}}}"#,
        ] {
            recordio::encode(record.as_bytes(), &mut stream);
        }
        let decoder = RecordDecoder::default();
        let mut buf = bytes::BytesMut::new();
        let mut events = Vec::new();
        for chunk in stream.chunks(7) {
            buf.extend_from_slice(chunk);
            while let Some(record) = decoder.decode(&mut buf).unwrap() {
                events.push(Event::from_record(ContentType::Json, &record).unwrap());
            }
        }
        let subscribed =
            Subscribed { framework_id: "fw".into(), heartbeat_interval: None, master_info: None };
        assert_eq!(
            events,
            [Event::Subscribed(subscribed), Event::Heartbeat, Event::Rescind("o1".into())]
        );
    }

    #[test]
    fn corrupt_bytes_are_a_protobuf_error() {
        for bytes in [&[0x08][..], &[0x12, 0x05, 0x0a], &[0xff, 0xff, 0xff]] {
            assert!(matches!(Event::decode(bytes), Err(Error::Protobuf(_))), "{bytes:?}");
        }
    }
}
