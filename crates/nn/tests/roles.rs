//! Parameter roles: trainable, frozen and buffer entries of a store, on the tape and on disk.

use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Ctx, Linear, ParamId, ParamRole, ParamStore, RoleError};
use serde::Serialize;

/// Two linear blocks and a buffer: `blocks.0.{weight,bias}`, `blocks.1.{weight,bias}`, `stat`.
fn store() -> (ParamStore, [Linear; 2], ParamId) {
    let mut store = ParamStore::new();
    let mut rng = Rng::new(3);
    let b0 = Linear::new(&mut store, "blocks.0", 4, 3, true, &mut rng);
    let b1 = Linear::new(&mut store, "blocks.1", 3, 2, true, &mut rng);
    let stat = store.add_buffer("stat", Tensor::full(&[2], 1.5));
    (store, [b0, b1], stat)
}

fn bincode_bytes(value: &impl Serialize) -> Vec<u8> {
    bincode::serde::encode_to_vec(value, bincode::config::standard()).unwrap()
}

#[test]
fn roles_counts_and_freezing_by_prefix() {
    let (mut store, _, stat) = store();
    let all = (4 * 3 + 3) + (3 * 2 + 2);
    assert_eq!(store.role(ParamId(0)), ParamRole::Trainable);
    assert_eq!(store.role(stat), ParamRole::Buffer);
    assert_eq!((store.num_params(), store.num_trainable()), (all, all));
    assert_eq!(store.num_buffer_values(), 2);

    assert_eq!(store.freeze("blocks.0."), 2);
    assert_eq!(store.freeze("blocks.0."), 0, "already frozen");
    assert_eq!(store.role(ParamId(0)), ParamRole::Frozen);
    assert_eq!(store.role(ParamId(2)), ParamRole::Trainable);
    assert_eq!(store.num_params(), all, "frozen parameters still count");
    assert_eq!(store.num_trainable(), 3 * 2 + 2);
    assert_eq!(store.trainable_ids(), [ParamId(2), ParamId(3)]);
    let shapes: Vec<Vec<usize>> = store
        .trainable()
        .iter()
        .map(|t| t.shape().to_vec())
        .collect();
    assert_eq!(shapes, [vec![2, 3], vec![2]]);
    assert_eq!(store.trainable_mut().len(), 2);

    assert_eq!(store.freeze(""), 2, "the rest; the buffer is left alone");
    assert_eq!(store.role(stat), ParamRole::Buffer);
    assert!(store.trainable_ids().is_empty());
    assert_eq!(store.unfreeze("blocks.1."), 2);
    assert_eq!(store.unfreeze(""), 2);
    assert_eq!(store.num_trainable(), all);
}

#[test]
fn set_role_switches_parameters_only() {
    let (mut store, [b0, _], stat) = store();
    assert_eq!(store.set_role(b0.weight, ParamRole::Frozen), Ok(true));
    assert_eq!(store.set_role(b0.weight, ParamRole::Frozen), Ok(false));
    assert_eq!(store.set_role(b0.weight, ParamRole::Trainable), Ok(true));
    assert_eq!(store.set_role(stat, ParamRole::Buffer), Ok(false));
    for (id, role) in [
        (stat, ParamRole::Trainable),
        (stat, ParamRole::Frozen),
        (b0.weight, ParamRole::Buffer),
    ] {
        let err = store.set_role(id, role).unwrap_err();
        assert!(matches!(err, RoleError::Fixed { .. }), "{err}");
    }
    assert_eq!(
        store
            .set_role(stat, ParamRole::Trainable)
            .unwrap_err()
            .to_string(),
        "stat is buffer and cannot become trainable: only trainable and frozen parameters switch roles"
    );
    assert_eq!(
        store.set_role(ParamId(9), ParamRole::Frozen),
        Err(RoleError::UnknownId { id: 9, len: 5 })
    );
}

#[test]
fn ctx_gives_gradients_to_trainable_entries_only() {
    let (mut store, [b0, b1], stat) = store();
    store.freeze("blocks.0.");
    let tape = Tape::new();
    let ctx = Ctx::new(&tape, &store, Rng::new(0));
    assert!(!ctx.p(b0.weight).requires_grad() && !ctx.p(b0.bias.unwrap()).requires_grad());
    assert!(ctx.p(b1.weight).requires_grad());
    assert!(!ctx.p(stat).requires_grad());
    let x = tape.constant(Tensor::ones(&[5, 4]));
    let hidden = b0.forward(&ctx, x);
    let y = b1.forward(&ctx, hidden);
    let loss = y.mul(ctx.p(stat)).sum_all();
    let mut grads = tape.backward(loss);
    let g = ctx.param_grads(&mut grads);
    assert_eq!(g.len(), 2, "one gradient per trainable parameter");
    for (g, t) in g.iter().zip(store.trainable()) {
        assert_eq!(g.shape(), t.shape());
    }
    assert!(
        grads.get(ctx.p(b0.weight)).is_none(),
        "no gradient computed for the frozen weight"
    );
}

#[test]
fn serialised_form_ignores_roles() {
    #[derive(Serialize)]
    struct NamesAndValues<'a> {
        names: &'a [String],
        tensors: &'a [Tensor],
    }
    let (plain, ..) = store();
    let mut frozen = plain.clone();
    frozen.freeze("blocks.0.");
    let bytes = bincode_bytes(&plain);
    assert_eq!(
        bincode_bytes(&frozen),
        bytes,
        "frozen entries serialise alike"
    );
    let expected = NamesAndValues {
        names: plain.names(),
        tensors: plain.tensors(),
    };
    assert_eq!(
        bytes,
        bincode_bytes(&expected),
        "names and values, nothing else"
    );
    assert_eq!(frozen, plain, "equality ignores roles");

    // A decoded store has no roles (all trainable); loading it keeps the roles of the target.
    let (decoded, _): (ParamStore, usize) =
        bincode::serde::decode_from_slice(&bytes, bincode::config::standard()).unwrap();
    assert_eq!(decoded.num_trainable(), plain.num_params() + 2);
    frozen.load_from(&decoded).unwrap();
    assert_eq!(frozen.role(ParamId(0)), ParamRole::Frozen);
    assert_eq!(frozen.role(ParamId(4)), ParamRole::Buffer);
    // Roles can be set on a decoded store too.
    let mut decoded = decoded;
    assert_eq!(decoded.freeze("blocks.1."), 2);
    assert_eq!(decoded.num_trainable(), 4 * 3 + 3 + 2);
}
