//! Mesos's JSON, checked against the examples in apache/mesos `docs/scheduler-http-api.md`
//! (quoted verbatim below as test inputs) and against the rules in the module docs.

use super::*;
use crate::event::Event;
use crate::proto::scheduler::{call, Call};
use crate::proto::*;

const SUBSCRIBE_CALL: &str = r#"{
   "type"		: "SUBSCRIBE",
   "subscribe"	: {
      "framework_info"	: {
        "user" :  "foo",
        "name" :  "Example HTTP Framework",
        "roles": ["test1", "test2"],
        "capabilities" : [{"type": "MULTI_ROLE"}]
      },
      "suppressed_roles" : ["test2"],
      "offer_constraints" : {
        "role_constraints": {
          "test1": {
            "groups": [{
              "attribute_constraints": [{
                "selector": {"attribute_name": "foo"},
                "predicate": {"exists": {}}
              }]
            }]
          }
        }
      }
   }
}"#;

const SUBSCRIBED_EVENT: &str = r#"{
 "type"			: "SUBSCRIBED",
 "subscribed"	: {
     "framework_id"               : {"value":"12220-3440-12532-2345"},
     "heartbeat_interval_seconds" : 15
  }
}"#;

const ACCEPT_CALL: &str = r#"{
  "framework_id": {"value": "12220-3440-12532-2345"},
  "type": "ACCEPT",
  "accept": {
    "offer_ids": [
      {"value": "12220-3440-12532-O12"}
    ],
    "operations": [
      {
        "type": "LAUNCH",
        "launch": {
          "task_infos": [
            {
              "name": "My Task",
              "task_id": {"value": "12220-3440-12532-my-task"},
              "agent_id": {"value": "12220-3440-12532-S1233"},
              "executor": {
                "command": {
                  "shell": true,
                  "value": "sleep 1000"
                },
                "executor_id": {"value": "12214-23523-my-executor"}
              },
              "resources": [
                {
                  "allocation_info": {"role": "engineering"},
                  "name": "cpus",
                  "role": "*",
                  "type": "SCALAR",
                  "scalar": {"value": 1.0}
				        }, {
                  "allocation_info": {"role": "engineering"},
                  "name": "mem",
                  "role": "*",
                  "type": "SCALAR",
                  "scalar": {"value": 128.0}
				        }
              ],
              "limits": {
                "cpus": "Infinity",
                "mem": 512.0
              }
            }
          ]
        }
      }
    ],
    "filters": {"refuse_seconds": 5.0}
  }
}"#;

const DECLINE_CALL: &str = r#"{
  "framework_id"	: {"value" : "12220-3440-12532-2345"},
  "type"			: "DECLINE",
  "decline"			: {
    "offer_ids"	: [
                   {"value" : "12220-3440-12532-O12"},
                   {"value" : "12220-3440-12532-O13"}
                  ],
    "filters"	: {"refuse_seconds" : 5.0}
  }
}"#;

const KILL_CALL: &str = r#"{
  "framework_id"	: {"value" : "12220-3440-12532-2345"},
  "type"			: "KILL",
  "kill"			: {
    "task_id"	:  {"value" : "12220-3440-12532-my-task"},
    "agent_id"	:  {"value" : "12220-3440-12532-S1233"}
  }
}"#;

const SHUTDOWN_CALL: &str = r#"{
  "framework_id"	: {"value" : "12220-3440-12532-2345"},
  "type"			: "SHUTDOWN",
  "shutdown"		: {
    "executor_id"	:  {"value" : "123450-2340-1232-my-executor"},
    "agent_id"		:  {"value" : "12220-3440-12532-S1233"}
  }
}"#;

const ACKNOWLEDGE_CALL: &str = r#"{
  "framework_id"	: {"value" : "12220-3440-12532-2345"},
  "type"			: "ACKNOWLEDGE",
  "acknowledge"		: {
    "agent_id"	:  {"value" : "12220-3440-12532-S1233"},
    "task_id"	:  {"value" : "12220-3440-12532-my-task"},
    "uuid"		:  "jhadf73jhakdlfha723adf"
  }
}"#;

const RECONCILE_CALL: &str = r#"{
  "framework_id"	: {"value" : "12220-3440-12532-2345"},
  "type"			: "RECONCILE",
  "reconcile"		: {
    "tasks"		: [
                   { "task_id"  : {"value" : "312325"},
                     "agent_id" : {"value" : "123535"}
                   }
                  ]
  }
}"#;

const MESSAGE_CALL: &str = r#"{
  "framework_id"	: {"value" : "12220-3440-12532-2345"},
  "type"			: "MESSAGE",
  "message"			: {
    "agent_id"       : {"value" : "12220-3440-12532-S1233"},
    "executor_id"    : {"value" : "my-framework-executor"},
    "data"           : "adaf838jahd748jnaldf"
  }
}"#;

const OFFERS_EVENT: &str = r#"{
  "type"	: "OFFERS",
  "offers"	: [
    {
      "allocation_info": { "role": "engineering" },
      "id"             : {"value": "12214-23523-O235235"},
      "framework_id"   : {"value": "12124-235325-32425"},
      "agent_id"       : {"value": "12325-23523-S23523"},
      "hostname"       : "agent.host",
      "resources"      : [
                          {
                           "allocation_info": { "role": "engineering" },
                           "name"   : "cpus",
                           "type"   : "SCALAR",
                           "scalar" : {"value" : 2},
                           "role"   : "*"
                          }
                         ],
      "attributes"     : [
                          {
                           "name"   : "os",
                           "type"   : "TEXT",
                           "text"   : {"value" : "ubuntu16.04"}
                          }
                         ],
      "executor_ids"   : [
                          {"value" : "12214-23523-my-executor"}
                         ]
    }
  ]
}"#;

const RESCIND_EVENT: &str = r#"{
  "type"	: "RESCIND",
  "rescind"	: {
    "offer_id"	: { "value" : "12214-23523-O235235"}
  }
}"#;

const UPDATE_EVENT: &str = r#"{
  "type"	: "UPDATE",
  "update"	: {
    "status"	: {
        "task_id"	: { "value" : "12344-my-task"},
        "state"		: "TASK_RUNNING",
        "source"	: "SOURCE_EXECUTOR",
        "uuid"		: "adfadfadbhgvjayd23r2uahj",
        "bytes"		: "uhdjfhuagdj63d7hadkf"
      }
  }
}"#;

const MESSAGE_EVENT: &str = r#"{
  "type"	: "MESSAGE",
  "message"	: {
    "agent_id"		: { "value" : "12214-23523-S235235"},
    "executor_id"	: { "value" : "12214-23523-my-executor"},
    "data"			: "adfadf3t2wa3353dfadf"
  }
}"#;

const FAILURE_EVENT: &str = r#"{
  "type"	: "FAILURE",
  "failure"	: {
    "agent_id"		: { "value" : "12214-23523-S235235"},
    "executor_id"	: { "value" : "12214-23523-my-executor"},
    "status"		: 1
  }
}"#;

const ERROR_EVENT: &str = r#"{
  "type"	: "ERROR",
  "message"	: "Framework is not authorized"
}"#;

const HEARTBEAT_EVENT: &str = r#"{
  "type"	: "HEARTBEAT"
}"#;
fn call(json: &str) -> Call {
    from_slice(json.as_bytes()).unwrap()
}

fn event(json: &str) -> Result<Event> {
    Event::from_record(ContentType::Json, json.as_bytes())
}

fn id<T: From<&'static str>>(value: &'static str) -> T {
    T::from(value)
}

fn json_of<M: JsonMessage>(message: &M) -> serde_json::Value {
    serde_json::Value::Object(message.to_json_object())
}

/// Writing a message and reading it back is a fixed point after the first write (which
/// may fill in explicit defaults, as Mesos's writer does).
fn stable<M: JsonMessage + PartialEq + std::fmt::Debug>(message: &M) {
    let once = from_slice::<M>(&to_vec(message)).unwrap();
    assert_eq!(from_slice::<M>(&to_vec(&once)).unwrap(), once);
}

#[test]
fn documented_subscribe_call() {
    let c = call(SUBSCRIBE_CALL);
    assert_eq!(c.r#type(), call::Type::Subscribe);
    let subscribe = c.subscribe.clone().unwrap();
    let info = &subscribe.framework_info;
    assert_eq!((info.user.as_str(), info.name.as_str()), ("foo", "Example HTTP Framework"));
    assert_eq!(info.roles, ["test1", "test2"]);
    assert_eq!(
        info.capabilities,
        [framework_info::Capability::of(framework_info::capability::Type::MultiRole)]
    );
    // offer_constraints is newer than our messages and, like any unknown key, ignored.
    assert_eq!(subscribe.suppressed_roles, ["test2"]);
    stable(&c);
}

#[test]
fn documented_subscribed_event() {
    let Event::Subscribed(s) = event(SUBSCRIBED_EVENT).unwrap() else { panic!() };
    assert_eq!(s.framework_id, id("12220-3440-12532-2345"));
    assert_eq!(s.heartbeat_interval, Some(std::time::Duration::from_secs(15)));
}

#[test]
fn documented_accept_call() {
    let c = call(ACCEPT_CALL);
    assert_eq!(
        (c.r#type(), c.framework_id.clone()),
        (call::Type::Accept, Some(id("12220-3440-12532-2345")))
    );
    let accept = c.accept.clone().unwrap();
    assert_eq!(accept.offer_ids, [id::<OfferId>("12220-3440-12532-O12")]);
    assert_eq!(accept.filters, Some(Filters { refuse_seconds: Some(5.0) }));
    let op = &accept.operations[0];
    assert_eq!(op.r#type(), offer::operation::Type::Launch);
    let task = &op.launch.as_ref().unwrap().task_infos[0];
    assert_eq!(task.name, "My Task");
    let executor = task.executor.as_ref().unwrap();
    assert_eq!(executor.executor_id, id("12214-23523-my-executor"));
    let command = executor.command.as_ref().unwrap();
    assert_eq!((command.shell, command.value.as_deref()), (Some(true), Some("sleep 1000")));
    let mem = &task.resources[1];
    assert_eq!((mem.name.as_str(), mem.r#type(), mem.role()), ("mem", value::Type::Scalar, "*"));
    assert_eq!(mem.scalar, Some(value::Scalar { value: 128.0 }));
    assert_eq!(
        mem.allocation_info,
        Some(resource::AllocationInfo { role: Some("engineering".into()) })
    );
    stable(&c);
}

#[test]
fn documented_decline_kill_shutdown_reconcile_calls() {
    let decline = call(DECLINE_CALL).decline.unwrap();
    assert_eq!(decline.offer_ids.len(), 2);
    let kill = call(KILL_CALL).kill.unwrap();
    assert_eq!(kill.task_id, id("12220-3440-12532-my-task"));
    assert_eq!(kill.agent_id, Some(id("12220-3440-12532-S1233")));
    let shutdown = call(SHUTDOWN_CALL).shutdown.unwrap();
    assert_eq!(shutdown.executor_id, id("123450-2340-1232-my-executor"));
    let reconcile = call(RECONCILE_CALL).reconcile.unwrap();
    assert_eq!(
        reconcile.tasks,
        [call::reconcile::Task { task_id: id("312325"), agent_id: Some(id("123535")) }]
    );
}

#[test]
fn documented_acknowledge_and_message_calls_carry_base64() {
    // The example's uuid has no padding; Mesos's base64 decoder accepts that.
    let ack = call(ACKNOWLEDGE_CALL).acknowledge.unwrap();
    assert_eq!(ack.uuid, BASE64.decode("jhadf73jhakdlfha723adf").unwrap());
    assert_eq!(ack.uuid.len(), 16);
    let message = call(MESSAGE_CALL).message.unwrap();
    assert_eq!(message.data.len(), 15);
    let again = json_of(&call::Message { data: vec![0xff, 0, 1], ..message });
    assert_eq!(again["data"], "/wAB");
}

#[test]
fn documented_offers_event() {
    // The docs put the offers array straight under "offers"; Event.offers is an
    // Event.Offers message, so Mesos (and we) refuse that, and read the nesting it writes.
    assert!(matches!(
        event(OFFERS_EVENT),
        Err(Error::JsonFieldType { message: "Event", field: "offers" })
    ));
    let mut doc: serde_json::Value = serde_json::from_str(OFFERS_EVENT).unwrap();
    doc["offers"] = serde_json::json!({ "offers": doc["offers"].take() });
    let Event::Offers(offers) = event(&doc.to_string()).unwrap() else { panic!() };
    let offer = &offers[0];
    assert_eq!(offer.hostname, "agent.host");
    assert_eq!(
        offer.allocation_info,
        Some(resource::AllocationInfo { role: Some("engineering".into()) })
    );
    assert_eq!(offer.resources[0].scalar, Some(value::Scalar { value: 2.0 }));
    let os = &offer.attributes[0];
    assert_eq!((os.name.as_str(), os.r#type()), ("os", value::Type::Text));
    assert_eq!(os.text, Some(value::Text { value: "ubuntu16.04".into() }));
    assert_eq!(offer.executor_ids, [id::<ExecutorId>("12214-23523-my-executor")]);
}

#[test]
fn documented_rescind_update_message_failure_heartbeat_events() {
    assert_eq!(event(RESCIND_EVENT).unwrap(), Event::Rescind(id("12214-23523-O235235")));
    let Event::Update(status) = event(UPDATE_EVENT).unwrap() else { panic!() };
    assert_eq!(status.state(), TaskState::TaskRunning);
    assert_eq!(status.source(), task_status::Source::Executor);
    assert_eq!(status.uuid, Some(BASE64.decode("adfadfadbhgvjayd23r2uahj").unwrap()));
    // The example's "bytes" key is not a TaskStatus field (it means `data`): ignored.
    assert_eq!(status.data, None);
    let Event::Message { data, .. } = event(MESSAGE_EVENT).unwrap() else { panic!() };
    assert_eq!(data, BASE64.decode("adfadf3t2wa3353dfadf").unwrap());
    assert_eq!(
        event(FAILURE_EVENT).unwrap(),
        Event::Failure {
            agent_id: Some(id("12214-23523-S235235")),
            executor_id: Some(id("12214-23523-my-executor")),
            status: Some(1),
        }
    );
    assert_eq!(event(HEARTBEAT_EVENT).unwrap(), Event::Heartbeat);
}

#[test]
fn documented_error_event_lacks_its_body() {
    // The docs put the text at the top level, where "message" is the Event.Message body;
    // a master writes it inside "error".
    assert!(matches!(
        event(ERROR_EVENT),
        Err(Error::JsonFieldType { message: "Event", field: "message" })
    ));
    let fixed = r#"{"type":"ERROR","error":{"message":"Framework is not authorized"}}"#;
    assert_eq!(event(fixed).unwrap(), Event::Error("Framework is not authorized".into()));
}

#[test]
fn explicit_defaults_are_written_deprecated_ones_are_not() {
    assert_eq!(json_of(&Filters::default()), serde_json::json!({"refuse_seconds": 5.0}));
    let info = FrameworkInfo { user: "u".into(), name: "n".into(), ..Default::default() };
    assert_eq!(
        json_of(&info),
        serde_json::json!({"user": "u", "name": "n", "failover_timeout": 0.0, "checkpoint": false})
    );
    let cpus = Resource { name: "cpus".into(), ..Default::default() };
    assert_eq!(json_of(&cpus), serde_json::json!({"name": "cpus", "type": "SCALAR"}));
    let var = environment::Variable { name: "A".into(), ..Default::default() };
    assert_eq!(json_of(&var), serde_json::json!({"name": "A", "type": "VALUE"}));
}

#[test]
fn encoding_is_compact_and_in_proto_order() {
    let c = crate::call::kill(&id("fw"), id("t"), None, None);
    assert_eq!(
        String::from_utf8(to_vec(&c)).unwrap(),
        r#"{"framework_id":{"value":"fw"},"type":"KILL","kill":{"task_id":{"value":"t"}}}"#
    );
}

#[test]
fn lenient_where_mesos_is() {
    // null is unset, one value stands for a one-element array, numbers and booleans may be
    // strings, unknown keys are ignored.
    let offer: call::Decline = from_slice(
        br#"{"offer_ids": {"value": "o"}, "filters": {"refuse_seconds": "2.5"}, "x": [1]}"#,
    )
    .unwrap();
    assert_eq!(offer.offer_ids, [id::<OfferId>("o")]);
    assert_eq!(offer.filters, Some(Filters { refuse_seconds: Some(2.5) }));
    let range: value::Range = from_slice(br#"{"begin": "31000", "end": 3.1e4}"#).unwrap();
    assert_eq!((range.begin, range.end), (31000, 31000));
    let uri: command_info::Uri =
        from_slice(br#"{"value": "u", "cache": "true", "output_file": null}"#).unwrap();
    assert_eq!((uri.cache, uri.output_file), (Some(true), None));
}

#[test]
fn unknown_enum_names_fail_required_fields_and_vanish_from_optional_ones() {
    let bad_state = r#"{"task_id": {"value": "t"}, "state": "TASK_NOPE"}"#;
    assert!(matches!(
        from_slice::<TaskStatus>(bad_state.as_bytes()),
        Err(Error::JsonUnknownEnum { message: "TaskStatus", field: "state", ref name }) if name == "TASK_NOPE"
    ));
    let new_reason = r#"{"task_id": {"value": "t"}, "state": "TASK_LOST", "reason": "REASON_NEW"}"#;
    assert_eq!(from_slice::<TaskStatus>(new_reason.as_bytes()).unwrap().reason, None);
    let caps: FrameworkInfo = from_slice(
        br#"{"user": "u", "name": "n", "capabilities": [{"type": "FUTURE"}, {"type": "MULTI_ROLE"}]}"#,
    )
    .unwrap();
    assert_eq!(caps.capabilities[0].r#type, None);
    // An event type this build does not know reads as no type at all: a typed error.
    assert!(matches!(event(r#"{"type": "SOMETHING_NEW"}"#), Err(Error::EventTypeMissing)));
}

#[test]
fn bad_json_is_a_typed_error() {
    assert!(matches!(from_slice::<Call>(b"{\"type\": "), Err(Error::Json(_))));
    assert!(matches!(from_slice::<Call>(b"[]"), Err(Error::JsonNotObject { message: "Call" })));
    type Expect = fn(&Error) -> bool;
    let cases: [(&str, Expect); 8] = [
        (r#"{"type": 3}"#, |e| {
            matches!(e, Error::JsonFieldType { message: "Call", field: "type" })
        }),
        (r#"{"framework_id": "fw"}"#, |e| {
            matches!(e, Error::JsonFieldType { field: "framework_id", .. })
        }),
        (r#"{"framework_id": {"value": ["a"]}}"#, |e| {
            matches!(e, Error::JsonFieldType { message: "FrameworkID", field: "value" })
        }),
        (r#"{"framework_id": {}}"#, |e| {
            matches!(e, Error::JsonFieldMissing { message: "FrameworkID", field: "value" })
        }),
        (r#"{"framework_id": {"value": null}}"#, |e| matches!(e, Error::JsonFieldMissing { .. })),
        (
            r#"{"acknowledge": {"agent_id": {"value": "a"}, "task_id": {"value": "t"}, "uuid": "*!"}}"#,
            |e| matches!(e, Error::JsonBase64 { message: "Call.Acknowledge", field: "uuid" }),
        ),
        (r#"{"decline": {"filters": {"refuse_seconds": true}}}"#, |e| {
            matches!(e, Error::JsonFieldType { message: "Filters", field: "refuse_seconds" })
        }),
        (r#"{"type": "NOT_A_CALL"}"#, |_| false),
    ];
    for (json, expected) in &cases[..7] {
        match from_slice::<Call>(json.as_bytes()) {
            Err(e) => assert!(expected(&e), "{json}: {e:?}"),
            Ok(c) => panic!("{json}: {c:?}"),
        }
    }
    // Call.type is optional: an unknown name is dropped, not an error.
    assert_eq!(from_slice::<Call>(cases[7].0.as_bytes()).unwrap().r#type, None);
}

#[test]
fn numbers_must_fit_their_fields() {
    for json in
        [r#"{"port": -1}"#, r#"{"port": 4294967296}"#, r#"{"port": 1.5}"#, r#"{"port": 1e300}"#]
    {
        assert!(
            matches!(
                from_slice::<health_check::TcpCheckInfo>(json.as_bytes()),
                Err(Error::JsonNumberRange { .. })
            ),
            "{json}"
        );
    }
    let big: value::Range = from_slice(br#"{"begin": 18446744073709551615, "end": 0}"#).unwrap();
    assert_eq!(big.begin, u64::MAX);
    let address: Address = from_slice(br#"{"port": -5}"#).unwrap();
    assert_eq!(address.port, -5);
}

#[test]
fn infinities_travel_as_strings() {
    let filters = Filters { refuse_seconds: Some(f64::INFINITY) };
    assert_eq!(json_of(&filters), serde_json::json!({"refuse_seconds": "Infinity"}));
    stable(&filters);
}

#[test]
fn content_type_headers() {
    assert_eq!(ContentType::from_mime("application/json; charset=utf-8"), Some(ContentType::Json));
    assert_eq!(ContentType::from_mime("Application/X-Protobuf"), Some(ContentType::Protobuf));
    assert_eq!(ContentType::from_mime("text/plain"), None);
    let c = crate::call::reconcile_all(&id("fw"));
    for ct in [ContentType::Json, ContentType::Protobuf] {
        assert_eq!(crate::call::decode_as(ct, &crate::call::encode_as(ct, &c)).unwrap(), c);
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let deep = format!("{}{}", r#"{"parent":"#.repeat(10_000), "}".repeat(10_000));
    assert!(matches!(from_slice::<ContainerId>(deep.as_bytes()), Err(Error::Json(_))));
}
