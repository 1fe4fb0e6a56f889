namespace Nabla.Optim;

/// <summary>Learning-rate schedules as pure functions of the epoch (so a resumed run needs no schedule state).</summary>
public static class LrSchedule
{
    /// <summary>StepLR: α₀ · γ^⌊epoch / stepSize⌋ (epoch counted from 0), as <c>torch.optim.lr_scheduler.StepLR</c>.</summary>
    public static double Step(double baseLr, int epoch, int stepSize, double gamma)
    {
        if (stepSize <= 0) throw new ArgumentOutOfRangeException(nameof(stepSize), $"step_size must be positive, got {stepSize}");
        return baseLr * Math.Pow(gamma, epoch / stepSize);
    }

    /// <summary>Cosine annealing: η_min + (α₀ − η_min)(1 + cos(π·epoch/tMax))/2, as <c>CosineAnnealingLR</c>'s closed form.</summary>
    public static double Cosine(double baseLr, int epoch, int tMax, double etaMin = 0)
    {
        if (tMax <= 0) throw new ArgumentOutOfRangeException(nameof(tMax), $"T_max must be positive, got {tMax}");
        return etaMin + (baseLr - etaMin) * (1 + Math.Cos(Math.PI * epoch / tMax)) / 2;
    }
}
