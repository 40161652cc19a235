"""Settings are refused before anything starts, with the setting named."""

import pytest

from posttrain.config import DPOSettings, GRPOSettings, SettingsError


@pytest.mark.parametrize("kwargs, named", [
    (dict(learning_rate=0), "learning rate"),
    (dict(learning_rate=-1e-4), "learning rate"),
    (dict(max_steps=0), "steps"),
    (dict(batch_size=0), "batch size"),
    (dict(beta=0), "beta"),
    (dict(loss_type="nope"), "loss type"),
    (dict(max_length=10**6), "max length"),
    (dict(label_smoothing=0.5), "label smoothing"),
])
def test_dpo_settings_out_of_range(kwargs, named):
    with pytest.raises(SettingsError, match=named):
        DPOSettings(**kwargs)


@pytest.mark.parametrize("kwargs, named", [
    (dict(num_generations=1, batch_size=2), "generations per prompt"),
    (dict(num_generations=4, batch_size=6), "divisible"),
    (dict(max_completion_length=10**6), "max completion length"),
    (dict(temperature=0), "temperature"),
    (dict(reward_funcs=["boxed_match"], reward_weights=[1.0, 2.0]), "one weight per reward"),
])
def test_grpo_settings_out_of_range(kwargs, named):
    with pytest.raises(SettingsError, match=named):
        GRPOSettings(**kwargs)


def test_sft_term_and_cpu_flags_reach_trl():
    kw = DPOSettings(sft_weight=0.5, lora=False).trl_kwargs("out", "cpu")
    assert kw["loss_type"] == ["sigmoid", "sft"] and kw["loss_weights"] == [1.0, 0.5]
    assert kw["use_cpu"] and not kw["bf16"] and kw["precompute_ref_log_probs"]
    assert DPOSettings().trl_kwargs("out", "cuda", bf16=True)["bf16"]


def test_overrides_name_the_setting_that_is_wrong():
    from posttrain.config import with_overrides
    from posttrain.methods.gated import IDENTITY

    with pytest.raises(SettingsError, match="unknown setting 'max_stepz'"):
        with_overrides(IDENTITY, {"max_stepz": 3})
    with pytest.raises(SettingsError, match="setting 'max_steps' must be a whole number"):
        with_overrides(IDENTITY, {"max_steps": "20"})
    with pytest.raises(SettingsError, match="setting 'lora' must be true or false"):
        with_overrides(IDENTITY, {"lora": "yes"})
    assert with_overrides(IDENTITY, {"beta": 1, "max_steps": 3}).beta == 1  # a whole number is a number


def test_grpo_reward_scaling_and_order_reach_trl():
    from posttrain.config import GRPOSettings, SettingsError

    kw = GRPOSettings(scale_rewards="none", shuffle=False).trl_kwargs("out", "cpu")
    assert kw["scale_rewards"] == "none" and kw["shuffle_dataset"] is False
    with pytest.raises(SettingsError, match="reward scaling"):
        GRPOSettings(scale_rewards="sometimes")
