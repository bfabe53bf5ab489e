using System.Diagnostics;
using GetApp.Agent.Core.Deploy;

namespace GetApp.Agent.Tests.Deploy;

public class ProcessGroupTests
{
    /// <summary>
    /// What an agent that was killed during an install leaves behind: an installer in a loop, starting a command every
    /// few milliseconds. The restarted agent must leave none of it running, including a command started while it looked.
    /// </summary>
    [Fact]
    public void KillAllByEnvironment_ALeftoverThatKeepsForking_NothingOfItIsLeftRunning()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        for (var round = 0; round < 3; round++)
        {
            var run = Guid.NewGuid().ToString("N");
            var info = new ProcessStartInfo("bash") { UseShellExecute = false };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add("while :; do sleep 5 & done");
            info.Environment[InstallerRunner.RunVariable] = run;
            using var leftover = Process.Start(info)!;
            try
            {
                var deadline = DateTime.UtcNow.AddSeconds(10);
                while (ProcessGroup.FindByEnvironment(InstallerRunner.RunVariable, run).Count < 30 && DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(5);
                }

                var killed = ProcessGroup.KillAllByEnvironment(InstallerRunner.RunVariable, run);

                Assert.Contains(leftover.Id, killed);
                Assert.True(leftover.WaitForExit(TimeSpan.FromSeconds(5)));
                Thread.Sleep(50);
                Assert.Empty(ProcessGroup.FindByEnvironment(InstallerRunner.RunVariable, run));
            }
            finally
            {
                foreach (var pid in ProcessGroup.FindByEnvironment(InstallerRunner.RunVariable, run))
                {
                    ProcessGroup.KillProcess(pid);
                }
            }
        }
    }
}
