namespace GetApp.Agent.Core.Releases;

/// <summary>Everything that can move a release, from the API, an engine or discovery. See <see cref="ReleaseLifecycle"/>.</summary>
public enum ReleaseAction
{
    StartDelivery,
    BeginDownload,
    BeginValidation,
    CompleteDelivery,
    PauseDelivery,
    ResumeDelivery,
    CancelDelivery,
    FailDelivery,
    DeleteDelivery,
    StartDeploy,
    ReportInstalling,
    PauseDeploy,
    ContinueDeploy,
    CompleteDeploy,
    FailDeploy,
    CancelDeploy,
    InstallAsDependency,
    FailAsDependency,
    Uninstall,
}
