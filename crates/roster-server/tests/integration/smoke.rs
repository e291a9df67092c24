use crate::common;
use common::*;

#[tokio::test]
async fn given_demo_server_when_owner_reads_me_then_policy_and_seats_are_returned() {
    let t = TestServer::start().await;
    for preset in presets() {
        let me = t.get("/v1/me", &t.owner(preset)).await.ok();
        assert_eq!(me["account"]["preset"], preset);
        assert!(me["policy"]["roles"].as_array().unwrap().len() >= 2);
        assert_eq!(
            me["seats"]["used"].as_u64().unwrap(),
            me["seats"]["members"].as_u64().unwrap()
                + me["seats"]["pending_invites"].as_u64().unwrap()
        );
    }
    t.server.shutdown().await;
}
