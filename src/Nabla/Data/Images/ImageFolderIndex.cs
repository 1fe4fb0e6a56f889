namespace Nabla.Data.Images;

/// <summary>The classes and files of one split folder of an image folder, as found by <see cref="ImageFolder.Index"/>.</summary>
/// <param name="Directory">The folder.</param>
/// <param name="Classes">The class names: the sorted sub-folder names.</param>
/// <param name="Files">Every image, sorted by class then path, with its class index.</param>
public sealed record ImageFolderIndex(string Directory, IReadOnlyList<string> Classes, IReadOnlyList<(string Path, int Label)> Files);
